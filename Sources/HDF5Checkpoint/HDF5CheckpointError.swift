import TensorIO

/// Why an HDF5 checkpoint cannot be read or written. Every case names the file; cases about one
/// tensor name it too (its name, or its dataset path when the name is not known yet).
public enum HDF5CheckpointError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The file is not HDF5 at all (no HDF5 signature).
  case notHDF5(file: String)
  /// The file has the HDF5 signature but libhdf5 cannot open it (truncated, damaged superblock, …).
  case corruptFile(file: String, message: String)
  /// A valid HDF5 file that is not an Adaptest checkpoint: no format marker, or another one.
  case notAdaptestLayout(file: String, reason: String)
  /// The format marker is right but the version is not one this reader knows.
  case unsupportedVersion(file: String, version: Int64)
  /// The file breaks a rule of the layout (missing or malformed attribute, bad index, stray object).
  /// `object` is the HDF5 path of the offending group, dataset or attribute owner.
  case invalidLayout(file: String, object: String, reason: String)
  /// A dataset's `adaptest_dtype` is not a safetensors dtype name.
  case unknownDType(file: String, tensor: String, dtype: String)
  /// A dataset's HDF5 type is not the one the layout prescribes for its dtype.
  case dtypeMismatch(file: String, tensor: String, dtype: DType, stored: String)
  /// A dataset's dataspace does not give a valid shape for its dtype.
  case shapeMismatch(file: String, tensor: String, reason: String)
  /// Reading a dataset's data failed.
  case unreadableDataset(file: String, tensor: String, message: String)
  /// No tensor of that name in the file.
  case tensorNotFound(file: String, tensor: String)
  /// Two tensors share a name (in a file being read, or in the input of a write).
  case nameCollision(file: String, tensor: String)
  /// A tensor to write has a shape whose size cannot be computed (overflow, sub-byte remainder).
  case invalidTensor(file: String, tensor: String, reason: TensorSizeError)
  /// A tensor to write has a payload whose byte count differs from its dtype and shape.
  case payloadSizeMismatch(file: String, tensor: String, expected: Int, actual: Int)
  /// Memory for a tensor's bytes could not be obtained.
  case allocationFailed(file: String, tensor: String, byteCount: Int)
  /// A libhdf5 call failed; `message` is the text of HDF5's error stack, outermost call first.
  case library(file: String, object: String, operation: String, message: String)
  /// An operating-system failure (create, fsync, rename, …).
  case file(FileError)
  /// Under ``HDF5Isolation/childProcess(_:)``: the file could not be validated because the validator
  /// process could not be run or gave no usable answer, or the file changed after validation. (A
  /// validator that crashes or hangs on the file reports ``corruptFile(file:message:)`` instead.)
  case isolationFailed(file: String, reason: String)

  /// A stable identifier of the case, for manifests and cross-checks (messages may change).
  public var code: String {
    switch self {
    case .notHDF5: "not-hdf5"
    case .corruptFile: "corrupt-file"
    case .notAdaptestLayout: "not-adaptest-layout"
    case .unsupportedVersion: "unsupported-version"
    case .invalidLayout: "invalid-layout"
    case .unknownDType: "unknown-dtype"
    case .dtypeMismatch: "dtype-mismatch"
    case .shapeMismatch: "shape-mismatch"
    case .unreadableDataset: "unreadable-dataset"
    case .tensorNotFound: "tensor-not-found"
    case .nameCollision: "name-collision"
    case .invalidTensor: "invalid-tensor"
    case .payloadSizeMismatch: "payload-size-mismatch"
    case .allocationFailed: "allocation-failed"
    case .library: "library"
    case .file: "file"
    case .isolationFailed: "isolation-failed"
    }
  }

  /// The file concerned.
  public var file: String {
    switch self {
    case .notHDF5(let file), .corruptFile(let file, _), .notAdaptestLayout(let file, _),
      .unsupportedVersion(let file, _), .invalidLayout(let file, _, _), .unknownDType(let file, _, _),
      .dtypeMismatch(let file, _, _, _), .shapeMismatch(let file, _, _), .unreadableDataset(let file, _, _),
      .tensorNotFound(let file, _), .nameCollision(let file, _), .invalidTensor(let file, _, _),
      .payloadSizeMismatch(let file, _, _, _), .allocationFailed(let file, _, _), .library(let file, _, _, _),
      .isolationFailed(let file, _):
      file
    case .file(let error): error.path
    }
  }

  /// The tensor concerned, for the cases about one tensor (its name, or its dataset path when the
  /// name could not be read), else `nil`.
  public var tensor: String? {
    switch self {
    case .unknownDType(_, let tensor, _), .dtypeMismatch(_, let tensor, _, _), .shapeMismatch(_, let tensor, _),
      .unreadableDataset(_, let tensor, _), .tensorNotFound(_, let tensor), .nameCollision(_, let tensor),
      .invalidTensor(_, let tensor, _), .payloadSizeMismatch(_, let tensor, _, _),
      .allocationFailed(_, let tensor, _):
      tensor
    case .invalidLayout(_, let object, _): object
    case .library(_, let object, _, _): object
    default: nil
    }
  }

  public var description: String {
    switch self {
    case .notHDF5(let file):
      "\(file): not an HDF5 file"
    case .corruptFile(let file, let message):
      "\(file): damaged HDF5 file: \(message)"
    case .notAdaptestLayout(let file, let reason):
      "\(file): not an Adaptest HDF5 checkpoint: \(reason)"
    case .unsupportedVersion(let file, let version):
      "\(file): Adaptest HDF5 layout version \(version) is not supported (this reader knows version \(HDF5Layout.formatVersion))"
    case .invalidLayout(let file, let object, let reason):
      "\(file): \(object): \(reason)"
    case .unknownDType(let file, let tensor, let dtype):
      "\(file): tensor '\(tensor)': unknown dtype '\(dtype)'"
    case .dtypeMismatch(let file, let tensor, let dtype, let stored):
      "\(file): tensor '\(tensor)': dtype \(dtype.name) cannot be stored as \(stored)"
    case .shapeMismatch(let file, let tensor, let reason):
      "\(file): tensor '\(tensor)': \(reason)"
    case .unreadableDataset(let file, let tensor, let message):
      "\(file): tensor '\(tensor)': cannot read its data: \(message)"
    case .tensorNotFound(let file, let tensor):
      "\(file): no tensor named '\(tensor)'"
    case .nameCollision(let file, let tensor):
      "\(file): more than one tensor is named '\(tensor)'"
    case .invalidTensor(let file, let tensor, let reason):
      "\(file): tensor '\(tensor)': \(reason)"
    case .payloadSizeMismatch(let file, let tensor, let expected, let actual):
      "\(file): tensor '\(tensor)': payload has \(actual) bytes, dtype and shape need \(expected)"
    case .allocationFailed(let file, let tensor, let byteCount):
      "\(file): tensor '\(tensor)': cannot allocate \(byteCount) bytes"
    case .library(let file, let object, let operation, let message):
      "\(file): \(object): \(operation) failed: \(message)"
    case .file(let error):
      error.description
    case .isolationFailed(let file, let reason):
      "\(file): cannot read the file safely: \(reason)"
    }
  }
}
