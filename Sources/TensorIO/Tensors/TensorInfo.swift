/// Why a tensor's size cannot be computed.
public enum TensorSizeError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The product of the shape, or of elements and bits, overflows a machine integer.
  case overflow
  /// The total bit count is not a whole number of bytes (sub-byte dtypes).
  case misaligned(bits: Int)
  /// A dimension is negative.
  case negativeDimension(Int)

  public var description: String {
    switch self {
    case .overflow: "element or byte count overflows"
    case .misaligned(let bits): "\(bits) bits is not a whole number of bytes"
    case .negativeDimension(let d): "negative dimension \(d)"
    }
  }
}

/// The type and shape of one tensor: everything Adaptest reasons about besides its bytes.
public struct TensorInfo: Hashable, Sendable, CustomStringConvertible {
  /// The element type.
  public var dtype: DType
  /// The dimensions, outermost first; `[]` is a scalar (rank 0).
  public var shape: [Int]

  public init(dtype: DType, shape: [Int]) {
    self.dtype = dtype
    self.shape = shape
  }

  /// The number of elements, computed with overflow checks.
  /// - Throws: ``TensorSizeError`` if a dimension is negative or the product overflows.
  public func elementCount() throws(TensorSizeError) -> Int {
    var count = 1
    for dimension in shape {
      guard dimension >= 0 else { throw .negativeDimension(dimension) }
      let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
      guard !overflow else { throw .overflow }
      count = product
    }
    return count
  }

  /// The number of bytes the tensor occupies, computed with overflow checks.
  /// - Throws: ``TensorSizeError/overflow`` or ``TensorSizeError/misaligned(bits:)`` for sub-byte
  ///   dtypes whose bit count is not a multiple of 8.
  public func byteCount() throws(TensorSizeError) -> Int {
    let (bits, overflow) = try elementCount().multipliedReportingOverflow(by: dtype.bitWidth)
    guard !overflow else { throw .overflow }
    guard bits % 8 == 0 else { throw .misaligned(bits: bits) }
    return bits / 8
  }

  /// `F32[4, 16]`.
  public var description: String {
    "\(dtype.name)[\(shape.map(String.init).joined(separator: ", "))]"
  }
}
