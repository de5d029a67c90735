import CHDF5
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Checked libhdf5 calls for one file: every failed call becomes a typed error naming the file,
/// the object and the operation, with the text of HDF5's error stack.
struct HDF5Context {
  /// The path of the file being read or written (as the caller named it).
  let file: String

  /// The error for a call that just failed.
  func failure(_ object: String, _ operation: String) -> HDF5CheckpointError {
    .library(file: file, object: object, operation: operation, message: HDF5Library.takeErrorMessage())
  }

  /// Wraps an identifier returned by libhdf5, or throws if it is negative.
  func handle(
    _ id: hid_t, close: @convention(c) (hid_t) -> herr_t, _ object: String, _ operation: String
  ) throws(HDF5CheckpointError) -> HDF5Handle {
    guard id >= 0 else { throw failure(object, operation) }
    return HDF5Handle(id, close: close)
  }

  /// Throws if a status result is negative.
  func check(_ status: herr_t, _ object: String, _ operation: String) throws(HDF5CheckpointError) {
    guard status >= 0 else { throw failure(object, operation) }
  }

  /// A tri-state result as a Bool; throws if negative.
  func truth(_ value: htri_t, _ object: String, _ operation: String) throws(HDF5CheckpointError) -> Bool {
    guard value >= 0 else { throw failure(object, operation) }
    return value > 0
  }

  // MARK: Types and spaces

  func copyType(_ type: hid_t, _ object: String) throws(HDF5CheckpointError) -> HDF5Handle {
    try handle(H5Tcopy(type), close: H5Tclose, object, "H5Tcopy")
  }

  func scalarSpace(_ object: String) throws(HDF5CheckpointError) -> HDF5Handle {
    try handle(H5Screate(H5S_SCALAR), close: H5Sclose, object, "H5Screate")
  }

  func simpleSpace(_ dims: [hsize_t], _ object: String) throws(HDF5CheckpointError) -> HDF5Handle {
    let id = dims.withUnsafeBufferPointer { H5Screate_simple(Int32(dims.count), $0.baseAddress, $0.baseAddress) }
    return try handle(id, close: H5Sclose, object, "H5Screate_simple")
  }

  /// The dimensions of a dataspace: `[]` for a scalar one, `nil` for a null dataspace.
  func dimensions(of space: hid_t, _ object: String) throws(HDF5CheckpointError) -> [UInt64]? {
    let kind = H5Sget_simple_extent_type(space)
    switch kind {
    case H5S_SCALAR: return []
    case H5S_NULL: return nil
    case H5S_SIMPLE:
      let rank = H5Sget_simple_extent_ndims(space)
      guard rank >= 0 else { throw failure(object, "H5Sget_simple_extent_ndims") }
      guard rank <= 32 else {
        throw .invalidLayout(file: file, object: object, reason: "dataspace of rank \(rank)")
      }
      var dims = [hsize_t](repeating: 0, count: Int(rank))
      let got = dims.withUnsafeMutableBufferPointer { H5Sget_simple_extent_dims(space, $0.baseAddress, nil) }
      guard got == rank else { throw failure(object, "H5Sget_simple_extent_dims") }
      return dims.map { UInt64($0) }
    default:
      throw failure(object, "H5Sget_simple_extent_type")
    }
  }

  // MARK: Files

  func propertyList(_ cls: hid_t, _ object: String) throws(HDF5CheckpointError) -> HDF5Handle {
    try handle(H5Pcreate(cls), close: H5Pclose, object, "H5Pcreate")
  }

  /// A file access property list for Adaptest's files: objects closed with the file, and no
  /// `flock`. libhdf5 opens files without `O_CLOEXEC`, so a process spawned by another thread
  /// while a file is open inherits the descriptor and its lock, and the next open of that file then
  /// fails with EAGAIN. Writes are atomic renames, so readers need no lock.
  func fileAccessList() throws(HDF5CheckpointError) -> HDF5Handle {
    let fapl = try propertyList(chdf5_p_file_access(), "/")
    try check(H5Pset_fclose_degree(fapl.id, H5F_CLOSE_STRONG), "/", "H5Pset_fclose_degree")
    try check(H5Pset_file_locking(fapl.id, false, true), "/", "H5Pset_file_locking")
    return fapl
  }

  /// Marks an open file's descriptor close-on-exec, so child processes do not keep the file open.
  func closeOnExec(_ file: hid_t, fapl: hid_t) {
    var handle: UnsafeMutableRawPointer?
    guard H5Fget_vfd_handle(file, fapl, &handle) >= 0, let handle else {
      _ = HDF5Library.takeErrorMessage()
      return
    }
    let fd = handle.load(as: Int32.self)
    _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
  }
}

/// `H5P_DEFAULT` as an identifier.
var defaultPlist: hid_t { chdf5_p_default() }
