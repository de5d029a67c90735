import CHDF5
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// An Adaptest HDF5 checkpoint opened for reading (docs/hdf5-layout.md).
///
/// Opening validates the whole layout: the format marker and version, and for every dataset its
/// name, dtype, index, HDF5 type and shape. Tensor bytes are read on demand with ``bytes(of:)``.
/// The file stays open (read-only) while the value or any copy of it is alive.
public struct HDF5File: TensorFileReader {
  public let path: String
  public var format: CheckpointFormat { .hdf5 }
  public let tensors: TensorTable
  public let metadata: [String: String]
  /// Whether the layout was validated in a child process (``HDF5Isolation/childProcess(_:)`` and a
  /// file this process did not write); libhdf5 then opens the file in this process only when
  /// ``bytes(of:)`` is first called.
  public let wasValidatedInChildProcess: Bool

  private let file: HDF5FileHandle
  let datasetPaths: [String: String]
  private let fileSize: Int

  /// Opens and validates the checkpoint at `path`, following ``HDF5Isolation/processDefault``.
  /// - Throws: ``HDF5CheckpointError``: ``HDF5CheckpointError/notHDF5(file:)`` for other files,
  ///   ``HDF5CheckpointError/corruptFile(file:message:)`` when libhdf5 cannot open it (or, isolated,
  ///   crashes or hangs on it), ``HDF5CheckpointError/notAdaptestLayout(file:reason:)`` for HDF5
  ///   files of another layout, and the layout errors naming the offending tensor.
  public init(path: String) throws(HDF5CheckpointError) {
    try self.init(path: path, isolation: .processDefault)
  }

  /// Opens and validates the checkpoint at `path`, reading it with libhdf5 in this process or, for a
  /// file this process did not write under ``HDF5Isolation/childProcess(_:)``, validating it in a
  /// child process first.
  /// - Throws: as ``init(path:)``, and ``HDF5CheckpointError/isolationFailed(file:reason:)``.
  public init(path: String, isolation: HDF5Isolation) throws(HDF5CheckpointError) {
    self.path = path
    fileSize = try Self.signatureCheckedSize(path)
    if case .childProcess(let validator) = isolation, !HDF5TrustedFiles.contains(path) {
      let validated = try IsolatedValidation.validate(path, with: validator)
      file = HDF5FileHandle(path: path, identity: validated.identity)
      tensors = validated.contents.tensors
      metadata = validated.contents.metadata
      datasetPaths = validated.contents.datasetPaths
      wasValidatedInChildProcess = true
      return
    }
    let context = HDF5Context(file: path)
    let (file, contents) = try HDF5Library.withLock { () throws(HDF5CheckpointError) in
      let id = try HDF5FileHandle.open(path, context: context)
      let file = HDF5FileHandle(openID: id, path: path)
      return (file, try LayoutReader(context: context, file: id).read())
    }
    self.file = file
    self.tensors = contents.tensors
    self.metadata = contents.metadata
    self.datasetPaths = contents.datasetPaths
    wasValidatedInChildProcess = false
  }

  /// The HDF5 path of a tensor's dataset (`/model/embed/weight`), or `nil` if there is no such tensor.
  public func datasetPath(of name: String) -> String? { datasetPaths[name] }

  /// The most bytes a tensor stored in chunks may expand to, as a multiple of the file's size:
  /// deflate's maximum ratio. Contiguous storage must match the tensor's size exactly; chunked or
  /// compact storage is bounded by this, so a small file cannot make a read fill gigabytes.
  static let maxExpansion = 1032

  /// Reads one tensor's bytes into memory owned by the result.
  ///
  /// A dataset that was never written (a hole) reads as zeros without touching memory.
  /// - Throws: ``HDF5CheckpointError/tensorNotFound(file:tensor:)``,
  ///   ``HDF5CheckpointError/unreadableDataset(file:tensor:message:)``,
  ///   ``HDF5CheckpointError/allocationFailed(file:tensor:byteCount:)``.
  public func bytes(of name: String) throws(HDF5CheckpointError) -> TensorBytes {
    let path = self.path
    return try withDataset(name) { (dataset, type, byteCount, zeros, unreadable) throws(HDF5CheckpointError) in
      guard let memory = TensorMemory(count: byteCount, willFill: !zeros) else {
        throw .allocationFailed(file: path, tensor: name, byteCount: byteCount)
      }
      if byteCount > 0 && !zeros {
        // One file's reads together are held to the same ratio as each tensor: many tensors that are
        // each within it (fill values of unwritten datasets, contiguous datasets sharing one region)
        // made a 1.7 KB file produce gigabytes.
        let (total, overflow) = file.bytesRead.addingReportingOverflow(byteCount)
        let (limit, limitOverflow) = fileSize.multipliedReportingOverflow(by: Self.maxExpansion)
        guard !overflow, limitOverflow || total <= limit else {
          throw .unreadableDataset(
            file: path, tensor: name,
            message: "the file's tensors would expand to more than \(Self.maxExpansion) times its \(fileSize) bytes")
        }
        file.bytesRead = total
        // The memory type is the stored type, which opening checked is the layout's type: no conversion.
        let status = H5Dread(dataset, type, chdf5_s_all(), chdf5_s_all(), defaultPlist, memory.mutableBytes.baseAddress)
        guard status >= 0 else { throw unreadable("H5Dread") }
      }
      return TensorBytes(memory)
    }
  }

  /// Everything ``bytes(of:)`` asks libhdf5 about a tensor's dataset, without reading its data: what
  /// the isolated validator runs for every tensor.
  func checkStorage(of name: String) throws(HDF5CheckpointError) {
    try withDataset(name) { (_, _, _, _, _) throws(HDF5CheckpointError) in }
  }

  /// Opens a tensor's dataset and its type, checks its storage, and calls `body` with them, the
  /// tensor's byte count and whether its data is all unwritten zeros; holds the library lock.
  private func withDataset<R>(
    _ name: String,
    _ body: (hid_t, hid_t, Int, Bool, (String) -> HDF5CheckpointError) throws(HDF5CheckpointError) -> R
  ) throws(HDF5CheckpointError) -> R {
    guard let datasetPath = datasetPaths[name], let entry = tensors[name] else {
      throw .tensorNotFound(file: path, tensor: name)
    }
    let byteCount: Int
    do {
      byteCount = try entry.info.byteCount()
    } catch {
      throw .shapeMismatch(file: path, tensor: name, reason: error.description)
    }
    let path = self.path
    let (maxBytes, overflow) = fileSize.multipliedReportingOverflow(by: Self.maxExpansion)
    return try HDF5Library.withLock { () throws(HDF5CheckpointError) in
      func unreadable(_ operation: String) -> HDF5CheckpointError {
        .unreadableDataset(file: path, tensor: name, message: "\(operation): \(HDF5Library.takeErrorMessage())")
      }
      let fileID = try file.id()
      let dataset = H5Dopen2(fileID, datasetPath, defaultPlist)
      guard dataset >= 0 else { throw unreadable("H5Dopen2") }
      defer { _ = H5Dclose(dataset) }
      let type = H5Dget_type(dataset)
      guard type >= 0 else { throw unreadable("H5Dget_type") }
      defer { _ = H5Tclose(type) }
      let zeros = try Self.checkStorage(dataset, byteCount: byteCount, unreadable: unreadable)
      guard zeros || overflow || byteCount <= maxBytes else {
        throw .unreadableDataset(
          file: path, tensor: name,
          message: "dtype and shape need \(byteCount) bytes, more than \(Self.maxExpansion) times the file's \(fileSize)")
      }
      return try body(dataset, type, byteCount, zeros, unreadable)
    }
  }

  /// Checks that allocated contiguous storage has exactly the tensor's size (so a damaged header
  /// cannot make us fill memory it never had), and tells whether the data is all zeros because it
  /// was never written and the fill value is the default.
  private static func checkStorage(
    _ dataset: hid_t, byteCount: Int, unreadable: (String) -> HDF5CheckpointError
  ) throws(HDF5CheckpointError) -> Bool {
    let dcpl = H5Dget_create_plist(dataset)
    guard dcpl >= 0 else { throw unreadable("H5Dget_create_plist") }
    defer { _ = H5Pclose(dcpl) }
    var status = H5D_SPACE_STATUS_ERROR
    guard H5Dget_space_status(dataset, &status) >= 0 else { throw unreadable("H5Dget_space_status") }
    if status == H5D_SPACE_STATUS_NOT_ALLOCATED {
      var fill = H5D_FILL_VALUE_ERROR
      guard H5Pfill_value_defined(dcpl, &fill) >= 0 else { throw unreadable("H5Pfill_value_defined") }
      return fill == H5D_FILL_VALUE_DEFAULT || fill == H5D_FILL_VALUE_UNDEFINED
    }
    if H5Pget_layout(dcpl) == H5D_CONTIGUOUS && status == H5D_SPACE_STATUS_ALLOCATED {
      let stored = H5Dget_storage_size(dataset)
      guard stored == UInt64(byteCount) else {
        _ = HDF5Library.takeErrorMessage()
        throw unreadable("storage holds \(stored) bytes, dtype and shape need \(byteCount); H5Dget_storage_size")
      }
    }
    return false
  }

  /// The file's size, after checking that it carries the HDF5 signature at offset 0, 512, 1024, …
  /// (a user block may precede it).
  /// - Throws: ``HDF5CheckpointError/notHDF5(file:)`` when it does not.
  private static func signatureCheckedSize(_ path: String) throws(HDF5CheckpointError) -> Int {
    let fd: Int32
    do { fd = try FileSystem.openRegular(path) } catch { throw .file(error) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .file(FileError(operation: "stat", path: path, errno: errno)) }
    let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    var offset = 0
    var buffer = [UInt8](repeating: 0, count: 8)
    while offset <= Int(info.st_size) - 8 {
      let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 8, off_t(offset)) }
      if got == 8 && buffer == signature { return Int(info.st_size) }
      offset = offset == 0 ? 512 : offset * 2
    }
    throw .notHDF5(file: path)
  }
}

/// An open libhdf5 file identifier, closed when the last reader copy goes away. A file validated in
/// a child process is opened on first use, after checking it is still the file that was validated.
private final class HDF5FileHandle: @unchecked Sendable {
  // Read and written only inside HDF5Library.withLock.
  private var openID: hid_t?
  /// Bytes of tensor data read so far (fill values and decompressed chunks included); capped per file.
  var bytesRead = 0
  private let path: String
  private let identity: FileIdentity?

  init(openID: hid_t, path: String) {
    self.openID = openID
    self.path = path
    identity = nil
  }

  init(path: String, identity: FileIdentity) {
    openID = nil
    self.path = path
    self.identity = identity
  }

  /// Opens `path` read-only. Call inside ``HDF5Library/withLock(_:)``.
  static func open(_ path: String, context: HDF5Context) throws(HDF5CheckpointError) -> hid_t {
    let fapl = try context.fileAccessList()
    let id = H5Fopen(path, chdf5_f_acc_rdonly(), fapl.id)
    guard id >= 0 else { throw .corruptFile(file: path, message: HDF5Library.takeErrorMessage()) }
    context.closeOnExec(id, fapl: fapl.id)
    return id
  }

  /// The open identifier, opening the file first if needed. Call inside ``HDF5Library/withLock(_:)``.
  func id() throws(HDF5CheckpointError) -> hid_t {
    if let openID { return openID }
    guard let identity, (try? FileIdentity(path: path)) == identity else {
      throw .isolationFailed(file: path, reason: "the file changed after it was validated")
    }
    let id = try Self.open(path, context: HDF5Context(file: path))
    openID = id
    return id
  }

  deinit {
    guard let id = openID else { return }
    HDF5Library.withLock { _ = H5Fclose(id) }
  }
}
