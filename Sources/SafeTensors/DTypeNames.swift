import TensorIO

/// Dtype names as bytes, for matching header strings without building a `String`.
enum DTypeNames {
  /// The longest name (`F8_E4M3FNUZ`) is 11 bytes.
  static let maxLength = 16

  /// Each name packed little-endian into two words, with its length.
  private static let table: [(low: UInt64, high: UInt64, count: Int, dtype: DType)] = DType.allCases.map { dtype in
    let bytes = Array(dtype.name.utf8)
    let key = bytes.withUnsafeBytes { pack($0) }
    return (key.low, key.high, bytes.count, dtype)
  }

  @inline(__always)
  private static func pack(_ raw: UnsafeRawBufferPointer) -> (low: UInt64, high: UInt64) {
    var low: UInt64 = 0
    var high: UInt64 = 0
    for i in 0..<min(raw.count, 8) { low |= UInt64(raw[i]) << (8 * UInt64(i)) }
    for i in min(raw.count, 8)..<raw.count { high |= UInt64(raw[i]) << (8 * UInt64(i - 8)) }
    return (low, high)
  }

  static func lookup(_ raw: UnsafeRawBufferPointer) -> DType? {
    guard raw.count > 0, raw.count <= maxLength else { return nil }
    let key = pack(raw)
    for entry in table where entry.low == key.low && entry.high == key.high && entry.count == raw.count {
      return entry.dtype
    }
    return nil
  }
}
