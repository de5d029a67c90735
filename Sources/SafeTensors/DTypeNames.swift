import TensorIO

/// Dtype names as bytes, for matching header strings without building a `String`.
enum DTypeNames {
  /// The longest name (`F8_E4M3FNUZ`) is 11 bytes.
  static let maxLength = 16

  /// A name packed little-endian into two words, with its length, and the dtype it names.
  struct Match {
    var low: UInt64
    var high: UInt64
    var count: Int
    var dtype: DType
  }

  private static let table: [Match] = DType.allCases.map { dtype in
    let bytes = Array(dtype.name.utf8)
    let key = bytes.withUnsafeBytes { pack($0) }
    return Match(low: key.low, high: key.high, count: bytes.count, dtype: dtype)
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
    var recent: Match?
    return lookup(raw, recent: &recent)
  }

  /// ``lookup(_:)`` trying `recent` first (a header names one dtype or two, entry after entry), which then
  /// becomes the match.
  static func lookup(_ raw: UnsafeRawBufferPointer, recent: inout Match?) -> DType? {
    guard raw.count > 0, raw.count <= maxLength else { return nil }
    let key = pack(raw)
    if let recent, recent.low == key.low, recent.high == key.high, recent.count == raw.count { return recent.dtype }
    for entry in table where entry.low == key.low && entry.high == key.high && entry.count == raw.count {
      recent = entry
      return entry.dtype
    }
    return nil
  }
}
