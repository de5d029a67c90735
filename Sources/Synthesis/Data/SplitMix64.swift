/// SplitMix64, the generator of Java's `SplittableRandom` (Steele, Lea & Flood, "Fast Splittable
/// Pseudorandom Number Generators", OOPSLA 2014).
///
/// The state advances by the odd constant ``gamma`` (2⁶⁴/φ) and each output is the state passed
/// through the ``mix(_:)`` finalizer. Because the state is a plain counter, output `i` (0-based) of
/// a stream started at `s` is `mix(s &+ (i + 1) &* gamma)`: any element can be computed on its own,
/// which is what lets generation fill a buffer without carrying state between elements.
public struct SplitMix64: Sendable, Hashable, RandomNumberGenerator {
  /// The golden-ratio increment `0x9E3779B97F4A7C15`.
  public static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= Self.gamma
    return Self.mix(state)
  }

  /// The finalizer (Stafford's "Mix13" variant of MurmurHash3's `fmix64`).
  @inline(__always)
  public static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Output `index` of the stream that starts at `state`, without advancing anything.
  @inline(__always)
  public static func element(_ index: Int, of state: UInt64) -> UInt64 {
    mix(state &+ (UInt64(truncatingIfNeeded: index) &+ 1) &* gamma)
  }
}

/// 64-bit FNV-1a of a string's UTF-8 bytes: a stable, platform-independent name hash (Swift's
/// `Hasher` is seeded per process, so it cannot be used for reproducible data).
public func fnv1a64(_ text: String) -> UInt64 {
  var hash: UInt64 = 0xCBF2_9CE4_8422_2325
  for byte in text.utf8 {
    hash ^= UInt64(byte)
    hash &*= 0x0000_0100_0000_01B3
  }
  return hash
}
