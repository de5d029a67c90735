/// Float conversions to the 16-bit storage formats, rounding to nearest, ties to even.
enum FloatEncoding {
  /// bfloat16 bits of `value`: the top half of its float32 bits, rounded to nearest even. NaN stays
  /// a quiet NaN (the rounding carry must not turn it into infinity).
  @inline(__always)
  static func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
    let roundingBias: UInt32 = 0x7FFF &+ ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
  }

  /// IEEE binary16 bits of `value`, rounded to nearest even (overflow gives infinity).
  @inline(__always)
  static func float16Bits(_ value: Float) -> UInt16 {
    Float16(value).bitPattern
  }
}
