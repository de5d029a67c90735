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

  private let file: OpenHDF5File
  private let datasetPaths: [String: String]

  /// Opens and validates the checkpoint at `path`.
  /// - Throws: ``HDF5CheckpointError``: ``HDF5CheckpointError/notHDF5(file:)`` for other files,
  ///   ``HDF5CheckpointError/corruptFile(file:message:)`` when libhdf5 cannot open it,
  ///   ``HDF5CheckpointError/notAdaptestLayout(file:reason:)`` for HDF5 files of another layout, and
  ///   the layout errors naming the offending tensor.
  public init(path: String) throws(HDF5CheckpointError) {
    self.path = path
    guard try Self.hasSignature(path) else { throw .notHDF5(file: path) }
    let context = HDF5Context(file: path)
    let (file, contents) = try HDF5Library.withLock { () throws(HDF5CheckpointError) in
      let fapl = try context.fileAccessList()
      let id = H5Fopen(path, chdf5_f_acc_rdonly(), fapl.id)
      guard id >= 0 else { throw .corruptFile(file: path, message: HDF5Library.takeErrorMessage()) }
      let file = OpenHDF5File(id: id)
      context.closeOnExec(id, fapl: fapl.id)
      return (file, try LayoutReader(context: context, file: id).read())
    }
    self.file = file
    self.tensors = contents.tensors
    self.metadata = contents.metadata
    self.datasetPaths = contents.datasetPaths
  }

  /// The HDF5 path of a tensor's dataset (`/model/embed/weight`), or `nil` if there is no such tensor.
  public func datasetPath(of name: String) -> String? { datasetPaths[name] }

  /// Reads one tensor's bytes into memory owned by the result.
  ///
  /// A dataset that was never written (a hole) reads as zeros without touching memory.
  /// - Throws: ``HDF5CheckpointError/tensorNotFound(file:tensor:)``,
  ///   ``HDF5CheckpointError/unreadableDataset(file:tensor:message:)``,
  ///   ``HDF5CheckpointError/allocationFailed(file:tensor:byteCount:)``.
  public func bytes(of name: String) throws(HDF5CheckpointError) -> TensorBytes {
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
    return try HDF5Library.withLock { () throws(HDF5CheckpointError) in
      func unreadable(_ operation: String) -> HDF5CheckpointError {
        .unreadableDataset(file: path, tensor: name, message: "\(operation): \(HDF5Library.takeErrorMessage())")
      }
      let dataset = H5Dopen2(file.id, datasetPath, defaultPlist)
      guard dataset >= 0 else { throw unreadable("H5Dopen2") }
      defer { _ = H5Dclose(dataset) }
      let type = H5Dget_type(dataset)
      guard type >= 0 else { throw unreadable("H5Dget_type") }
      defer { _ = H5Tclose(type) }
      let zeros = try Self.checkStorage(dataset, byteCount: byteCount, unreadable: unreadable)

      guard let memory = TensorMemory(count: byteCount, willFill: !zeros) else {
        throw .allocationFailed(file: path, tensor: name, byteCount: byteCount)
      }
      if byteCount > 0 && !zeros {
        // The memory type is the stored type, which opening checked is the layout's type: no conversion.
        let status = H5Dread(dataset, type, chdf5_s_all(), chdf5_s_all(), defaultPlist, memory.mutableBytes.baseAddress)
        guard status >= 0 else { throw unreadable("H5Dread") }
      }
      return TensorBytes(memory)
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

  /// Whether the file carries the HDF5 signature at offset 0, 512, 1024, … (a user block may precede it).
  private static func hasSignature(_ path: String) throws(HDF5CheckpointError) -> Bool {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .file(FileError(operation: "open", path: path, errno: errno)) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .file(FileError(operation: "stat", path: path, errno: errno)) }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw .file(FileError(operation: "open (not a regular file)", path: path, errno: EISDIR))
    }
    let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    var offset = 0
    var buffer = [UInt8](repeating: 0, count: 8)
    while offset <= Int(info.st_size) - 8 {
      let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 8, off_t(offset)) }
      if got == 8 && buffer == signature { return true }
      offset = offset == 0 ? 512 : offset * 2
    }
    return false
  }
}

/// An open libhdf5 file identifier, closed when the last reader copy goes away.
private final class OpenHDF5File: @unchecked Sendable {
  // Used only inside HDF5Library.withLock.
  let id: hid_t

  init(id: hid_t) { self.id = id }

  deinit {
    let id = id
    HDF5Library.withLock { _ = H5Fclose(id) }
  }
}
