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

  /// IEEE binary16 bits of `value`, rounded to nearest even (overflow gives infinity, NaN a quiet
  /// NaN). Integer arithmetic on the float32 bits (F. Giesen's `float_to_half_fast3_rtne`): much
  /// faster than the software conversion `Float16(_:)` gets on CPUs without F16C, same results.
  @inline(__always)
  static func float16Bits(_ value: Float) -> UInt16 {
    var bits = value.bitPattern
    let sign = bits & 0x8000_0000
    bits ^= sign
    let half: UInt32
    if bits >= 0x4780_0000 {
      // |value| ≥ 65536, infinity or NaN.
      half = bits > 0x7F80_0000 ? 0x7E00 : 0x7C00
    } else if bits < 0x3880_0000 {
      // Below the smallest normal half (2⁻¹⁴): let the FPU round the subnormal by adding 0.5.
      let magic: UInt32 = 0x3F00_0000
      half = (Float(bitPattern: bits) + Float(bitPattern: magic)).bitPattern &- magic
    } else {
      let mantissaOdd = (bits >> 13) & 1
      bits = bits &+ 0xC800_0FFF  // rebias the exponent by (15 − 127) << 23, add the rounding bias
      half = (bits &+ mantissaOdd) >> 13
    }
    return UInt16(truncatingIfNeeded: half | (sign >> 16))
  }
}
