import TensorIO

/// Why a safetensors file could not be read or written.
///
/// The kinds are named after the Rust reference's `SafeTensorError` variants so that results can be
/// compared across implementations by ``Kind/code`` rather than by message text.
public struct SafeTensorsError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What went wrong, with the tensor concerned where there is one.
  public enum Kind: Error, Hashable, Sendable {
    /// The file is shorter than the 8-byte header length.
    case headerTooSmall
    /// The header length is above the reference's 100,000,000-byte limit.
    case headerTooLarge(headerLength: UInt64)
    /// The header length runs past the end of the file.
    case invalidHeaderLength(headerLength: UInt64, fileSize: Int)
    /// The header is not UTF-8; `offset` is the first bad byte, counted from the header's start.
    case invalidHeader(offset: Int)
    /// The header is not JSON of the expected shape: not an object, unknown dtype, wrong types,
    /// negative numbers, missing or repeated fields, non-string metadata.
    case invalidHeaderDeserialization(String)
    /// The tensor's `data_offsets` leave a hole, overlap the previous tensor, or are reversed
    /// (checked after sorting the tensors by offset).
    case invalidOffset(tensor: String)
    /// The tensor's element or bit count overflows.
    case validationOverflow(tensor: String)
    /// A sub-byte dtype whose total size is not a whole number of bytes.
    case misalignedSlice(tensor: String)
    /// The tensor's byte range does not match its dtype and shape.
    case tensorInvalidInfo(tensor: String)
    /// The tensors do not end exactly at the end of the file (trailing bytes or truncation).
    case metadataIncompleteBuffer(dataEnd: UInt64, fileSize: Int)
    /// No tensor has that name.
    case tensorNotFound(tensor: String)
    /// The header names a tensor twice (rejected unless reading with ``SafeTensorsReadOptions/DuplicateKeys/lastWins``).
    case duplicateKey(tensor: String)
    /// `__metadata__` has the same key twice (rejected unless reading with `lastWins`).
    case duplicateMetadataKey(String)
    /// Writing: a payload's byte count differs from what the tensor's dtype and shape need
    /// (the reference's `InvalidTensorView`).
    case invalidTensorView(tensor: String, byteCount: Int)
    /// The operating system failed to open, map or write the file.
    case io(FileError)

    /// The reference variant's name in lower camel case (`invalidOffset`), for comparing outcomes.
    public var code: String {
      switch self {
      case .headerTooSmall: "headerTooSmall"
      case .headerTooLarge: "headerTooLarge"
      case .invalidHeaderLength: "invalidHeaderLength"
      case .invalidHeader: "invalidHeader"
      case .invalidHeaderDeserialization: "invalidHeaderDeserialization"
      case .invalidOffset: "invalidOffset"
      case .validationOverflow: "validationOverflow"
      case .misalignedSlice: "misalignedSlice"
      case .tensorInvalidInfo: "tensorInvalidInfo"
      case .metadataIncompleteBuffer: "metadataIncompleteBuffer"
      case .tensorNotFound: "tensorNotFound"
      case .duplicateKey: "duplicateKey"
      case .duplicateMetadataKey: "duplicateMetadataKey"
      case .invalidTensorView: "invalidTensorView"
      case .io: "io"
      }
    }

    /// The tensor the error is about, if any.
    public var tensor: String? {
      switch self {
      case .invalidOffset(let name), .validationOverflow(let name), .misalignedSlice(let name),
        .tensorInvalidInfo(let name), .tensorNotFound(let name), .duplicateKey(let name),
        .invalidTensorView(let name, _):
        name
      default: nil
      }
    }
  }

  /// The file concerned.
  public var file: String
  public var kind: Kind

  public init(file: String, kind: Kind) {
    self.file = file
    self.kind = kind
  }

  /// The tensor the error is about, if any.
  public var tensor: String? { kind.tensor }

  public var description: String {
    let what: String
    switch kind {
    case .headerTooSmall: what = "header too small: the file has fewer than 8 bytes"
    case .headerTooLarge(let n): what = "header too large: \(n) bytes (the limit is 100000000)"
    case .invalidHeaderLength(let n, let size):
      what = "invalid header length: \(n) bytes of header do not fit in a file of \(size) bytes"
    case .invalidHeader(let offset): what = "invalid UTF-8 in header at byte \(offset)"
    case .invalidHeaderDeserialization(let detail): what = "invalid JSON in header: \(detail)"
    case .invalidOffset(let name): what = "invalid offset for tensor '\(name)'"
    case .validationOverflow(let name):
      what = "overflow computing buffer size from shape and/or element type of tensor '\(name)'"
    case .misalignedSlice(let name):
      what = "tensor '\(name)' does not end on a byte boundary (sub-byte dtype with an odd element count)"
    case .tensorInvalidInfo(let name): what = "invalid shape, data type, or offset for tensor '\(name)'"
    case .metadataIncompleteBuffer(let end, let size):
      what = "incomplete metadata, file not fully covered: the tensors end at byte \(end) of \(size)"
    case .tensorNotFound(let name): what = "tensor '\(name)' not found"
    case .duplicateKey(let name): what = "tensor '\(name)' occurs more than once in the header"
    case .duplicateMetadataKey(let key): what = "__metadata__ key '\(key)' occurs more than once"
    case .invalidTensorView(let name, let count):
      what = "tensor '\(name)': \(count) bytes do not match its dtype and shape"
    case .io(let error): return error.description
    }
    return "\(file): \(what)"
  }
}
