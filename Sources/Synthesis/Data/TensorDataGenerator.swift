import Dispatch
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
  /// outside ``supportedDTypes`` are zero-filled. Large buffers are filled in parallel chunks
  /// (each element depends only on its index, so the bytes do not depend on the chunking).
  public static func fill(
    _ buffer: UnsafeMutableRawBufferPointer, key: UInt64, dtype: DType, distribution: ValueDistribution
  ) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    switch distribution {
    case .constant(let value):
      fillConstant(base, count: buffer.count, dtype: dtype, value: value)
    case .normal(let std):
      guard supportedDTypes.contains(dtype) else {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: buffer.count)
        return
      }
      let width = dtype.bitWidth / 8
      let count = buffer.count / width
      let chunk = parallelChunkElements
      let chunks = (count + chunk - 1) / chunk
      let scale = scale(std)
      // Chunks write disjoint element ranges of the caller's buffer.
      nonisolated(unsafe) let target = base
      let fillChunk: @Sendable (Int) -> Void = { c in
        let start = c * chunk
        fillNormal(target, from: start, to: min(count, start + chunk), key: key, scale: scale, dtype: dtype)
      }
      if chunks > 1 {
        DispatchQueue.concurrentPerform(iterations: chunks, execute: fillChunk)
      } else {
        fillChunk(0)
      }
    }
  }

  /// Elements per parallel work item (4 Mi elements: large enough to amortise scheduling).
  static let parallelChunkElements = 1 << 22

  /// Writes elements `start..<end`. The state is advanced by ``SplitMix64/gamma`` per element, which
  /// gives exactly `SplitMix64.element(i, of: key)` without a multiplication per element.
  private static func fillNormal(
    _ base: UnsafeMutableRawPointer, from start: Int, to end: Int, key: UInt64, scale: Float, dtype: DType
  ) {
    var state = key &+ UInt64(truncatingIfNeeded: start) &* SplitMix64.gamma
    switch dtype {
    case .f32:
      for i in start..<end {
        state &+= SplitMix64.gamma
        let v = normal(SplitMix64.mix(state), scale: scale)
        base.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i &* 4, as: UInt32.self)
      }
    case .bf16:
      for i in start..<end {
        state &+= SplitMix64.gamma
        let v = normal(SplitMix64.mix(state), scale: scale)
        base.storeBytes(of: FloatEncoding.bfloat16Bits(v).littleEndian, toByteOffset: i &* 2, as: UInt16.self)
      }
    case .f16:
      for i in start..<end {
        state &+= SplitMix64.gamma
        let v = normal(SplitMix64.mix(state), scale: scale)
        base.storeBytes(of: FloatEncoding.float16Bits(v).littleEndian, toByteOffset: i &* 2, as: UInt16.self)
      }
    default:
      for i in start..<end {
        state &+= SplitMix64.gamma
        let v = Double(normal(SplitMix64.mix(state), scale: scale))
        base.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i &* 8, as: UInt64.self)
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
    // Write one element, double the filled prefix up to 64 KiB, then copy that block along: the
    // source stays in cache, so the fill runs at memcpy speed for any pattern width.
    let width = pattern.count
    let usable = count - count % width
    guard usable >= width else { return }
    pattern.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: width) }
    var filled = width
    let block = min(usable, (65536 / width) * width)
    while filled < block {
      let piece = min(filled, block - filled)
      (base + filled).copyMemory(from: base, byteCount: piece)
      filled += piece
    }
    while filled < usable {
      let piece = min(block, usable - filled)
      (base + filled).copyMemory(from: base, byteCount: piece)
      filled += piece
    }
  }
}
