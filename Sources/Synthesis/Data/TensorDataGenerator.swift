import TensorIO

/// Deterministic tensor contents from a seed.
///
/// Every tensor gets its own SplitMix64 stream keyed by the seed and its name
/// (`key = mix(seed ^ mix(fnv1a64(name)))`), so a tensor's bytes depend on nothing but the seed,
/// its name, dtype, shape and distribution: not on file order, sharding or format. Element `i` is
/// `SplitMix64.element(i, of: key)`; a normal value is the sum of that word's four 16-bit lanes
/// read as signed integers (Irwin–Hall with four terms: bell-shaped, within ±3.5σ) scaled to the
/// wanted standard deviation; float32 is written as is, bfloat16 and float16 rounded to nearest
/// even, all little-endian.
public struct TensorDataGenerator: Sendable, Hashable {
  public var seed: UInt64

  public init(seed: UInt64) { self.seed = seed }

  /// The dtypes values can be generated in.
  public static let supportedDTypes: Set<DType> = [.f32, .f16, .bf16, .f64]

  /// The stream key of a tensor.
  public func key(for name: String) -> UInt64 { SplitMix64.mix(seed ^ SplitMix64.mix(fnv1a64(name))) }

  /// A payload that fills the writer's buffer in place.
  public func payload(for name: String, dtype: DType, distribution: ValueDistribution) -> TensorPayload {
    let key = key(for: name)
    return .generate { buffer in Self.fill(buffer, key: key, dtype: dtype, distribution: distribution) }
  }

  /// The element values as floats before encoding (for tests and checks).
  public func values(for name: String, count: Int, distribution: ValueDistribution) -> [Float] {
    let key = key(for: name)
    switch distribution {
    case .constant(let value): return Array(repeating: value, count: count)
    case .normal(let std):
      let scale = Self.scale(std)
      return (0..<count).map { Self.normal(SplitMix64.element($0, of: key), scale: scale) }
    }
  }

  /// The standard deviation of the sum of four uniform signed 16-bit integers:
  /// `2 · sqrt((65536² − 1) / 12)`.
  static let laneSumStandardDeviation: Float = 37837.227

  @inline(__always)
  static func scale(_ std: Float) -> Float { std / laneSumStandardDeviation }

  @inline(__always)
  static func normal(_ bits: UInt64, scale: Float) -> Float {
    let a = Int32(Int16(truncatingIfNeeded: bits))
    let b = Int32(Int16(truncatingIfNeeded: bits >> 16))
    let c = Int32(Int16(truncatingIfNeeded: bits >> 32))
    let d = Int32(Int16(truncatingIfNeeded: bits >> 48))
    return Float(a + b + c + d) * scale
  }

  /// Fills `buffer` with the tensor's bytes. Elements are `buffer.count / dtype size`; dtypes
  /// outside ``supportedDTypes`` are zero-filled.
  public static func fill(
    _ buffer: UnsafeMutableRawBufferPointer, key: UInt64, dtype: DType, distribution: ValueDistribution
  ) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    switch distribution {
    case .constant(let value):
      fillConstant(base, count: buffer.count, dtype: dtype, value: value)
    case .normal(let std):
      let scale = scale(std)
      switch dtype {
      case .f32:
        for i in 0..<buffer.count / 4 {
          let v = normal(SplitMix64.element(i, of: key), scale: scale)
          base.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i &* 4, as: UInt32.self)
        }
      case .bf16:
        for i in 0..<buffer.count / 2 {
          let v = normal(SplitMix64.element(i, of: key), scale: scale)
          base.storeBytes(of: FloatEncoding.bfloat16Bits(v).littleEndian, toByteOffset: i &* 2, as: UInt16.self)
        }
      case .f16:
        for i in 0..<buffer.count / 2 {
          let v = normal(SplitMix64.element(i, of: key), scale: scale)
          base.storeBytes(of: FloatEncoding.float16Bits(v).littleEndian, toByteOffset: i &* 2, as: UInt16.self)
        }
      case .f64:
        for i in 0..<buffer.count / 8 {
          let v = Double(normal(SplitMix64.element(i, of: key), scale: scale))
          base.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i &* 8, as: UInt64.self)
        }
      default:
        base.initializeMemory(as: UInt8.self, repeating: 0, count: buffer.count)
      }
    }
  }

  private static func fillConstant(_ base: UnsafeMutableRawPointer, count: Int, dtype: DType, value: Float) {
    let pattern: [UInt8]
    switch dtype {
    case .f32: pattern = withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
    case .f16: pattern = withUnsafeBytes(of: FloatEncoding.float16Bits(value).littleEndian, Array.init)
    case .bf16: pattern = withUnsafeBytes(of: FloatEncoding.bfloat16Bits(value).littleEndian, Array.init)
    case .f64: pattern = withUnsafeBytes(of: Double(value).bitPattern.littleEndian, Array.init)
    default: pattern = [0]
    }
    if pattern.allSatisfy({ $0 == 0 }) {
      base.initializeMemory(as: UInt8.self, repeating: 0, count: count)
      return
    }
    // Write one element, then double the filled prefix: memcpy-speed fill for any pattern width.
    let width = pattern.count
    guard count >= width else { return }
    pattern.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: width) }
    var filled = width
    let usable = count - count % width
    while filled < usable {
      let chunk = min(filled, usable - filled)
      (base + filled).copyMemory(from: base, byteCount: chunk)
      filled += chunk
    }
  }
}
