import HDF5Checkpoint
import TensorIO
import TestSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// This target's paths in the repository.
enum HDF5Paths {
  static let fixtures = Repository.fixtures("HDF5CheckpointTests")
  static let malformed = Repository.corpus + "/malformed/hdf5"
}

/// The reference Python when it can import h5py (interop tests).
enum H5py {
  static let python: String? = {
    guard let python = ReferencePython.path,
      let result = try? ExternalCommand.run([python, "-c", "import h5py, numpy"]), result.status == 0
    else { return nil }
    return python
  }()
}

extension WritableTensor {
  /// A tensor whose payload is the given bytes.
  static func bytes(_ name: String, _ dtype: DType, _ shape: [Int], _ bytes: [UInt8]) -> WritableTensor {
    WritableTensor(
      name: name, info: TensorInfo(dtype: dtype, shape: shape), payload: .bytes(TensorBytes(OwnedBytes(bytes))))
  }
}

/// The error a body throws, as an HDF5CheckpointError (nil if it does not throw).
func hdf5Error(_ body: () throws -> Void) -> HDF5CheckpointError? {
  do {
    try body()
    return nil
  } catch let error as HDF5CheckpointError {
    return error
  } catch {
    return .library(file: "", object: "", operation: "unexpected error type", message: "\(error)")
  }
}
