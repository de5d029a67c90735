import TensorIO
import Testing

@testable import Synthesis

@Suite struct DataTests {
  // Reference outputs of Vigna's splitmix64.c for seeds 0 and 1234567.
  @Test func splitMix64MatchesTheReference() {
    var zero = SplitMix64(seed: 0)
    #expect([zero.next(), zero.next(), zero.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    var other = SplitMix64(seed: 1_234_567)
    #expect([other.next(), other.next(), other.next()] == [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423])
    #expect(SplitMix64.element(2, of: 1_234_567) == 9_817_491_932_198_370_423)
  }

  @Test func fnv1aMatchesThePublishedVectors() {
    #expect(fnv1a64("") == 0xCBF2_9CE4_8422_2325)
    #expect(fnv1a64("a") == 0xAF63_DC4C_8601_EC8C)
    #expect(fnv1a64("foobar") == 0x8594_4171_F739_67E8)
  }

  @Test(arguments: [
    (Float(1), UInt16(0x3F80)),
    (Float(bitPattern: 0x3F80_8000), UInt16(0x3F80)),  // tie, even stays
    (Float(bitPattern: 0x3F81_8000), UInt16(0x3F82)),  // tie, odd rounds up
    (Float(bitPattern: 0x3F80_8001), UInt16(0x3F81)),  // above half
    (Float(bitPattern: 0x3F80_7FFF), UInt16(0x3F80)),  // below half
    (-Float(2), UInt16(0xC000)),
    (Float.infinity, UInt16(0x7F80)),
  ])
  func bfloat16RoundsToNearestEven(value: Float, bits: UInt16) {
    #expect(FloatEncoding.bfloat16Bits(value) == bits)
  }

  @Test func bfloat16KeepsNaNANaN() {
    #expect(FloatEncoding.bfloat16Bits(Float(bitPattern: 0x7FFF_FFFF)) & 0x7F80 == 0x7F80)
    #expect(FloatEncoding.bfloat16Bits(Float(bitPattern: 0x7FFF_FFFF)) & 0x007F != 0)
  }

  @Test(arguments: [
    (Float(1), UInt16(0x3C00)), (Float(0.5), UInt16(0x3800)), (Float(-2), UInt16(0xC000)),
    (Float(65520), UInt16(0x7C00)),  // rounds to infinity
    (Float(1 + 1.0 / 2048), UInt16(0x3C00)),  // tie, even stays
    (Float(1 + 3.0 / 2048), UInt16(0x3C02)),  // tie, odd rounds up
  ])
  func float16RoundsToNearestEven(value: Float, bits: UInt16) {
    #expect(FloatEncoding.float16Bits(value) == bits)
  }

  @Test func float16MatchesTheStandardConversionEverywhere() {
    // Every float32 exponent, with a spread of mantissas, both signs, plus the specials.
    var samples: [Float] = [0, -0, .infinity, -.infinity, .nan, 65504, 65519.99, 65520, 6.1e-5, 5.96e-8, 2.98e-8, 2.99e-8]
    var rng = SplitMix64(seed: 3)
    for exponent in UInt32(0)...255 {
      for _ in 0..<64 {
        let mantissa = UInt32(truncatingIfNeeded: rng.next()) & 0x7F_FFFF
        samples.append(Float(bitPattern: exponent << 23 | mantissa))
        samples.append(-Float(bitPattern: exponent << 23 | mantissa))
      }
      samples.append(Float(bitPattern: exponent << 23 | 0x1000))  // exact ties
      samples.append(Float(bitPattern: exponent << 23 | 0x3000))
    }
    for value in samples {
      let expected = Float16(value).bitPattern
      let actual = FloatEncoding.float16Bits(value)
      if value.isNaN {
        #expect(actual & 0x7C00 == 0x7C00 && actual & 0x03FF != 0)
      } else {
        #expect(actual == expected, "\(value) (bits \(String(value.bitPattern, radix: 16)))")
      }
    }
  }

  func bytes(_ generator: TensorDataGenerator, _ name: String, _ dtype: DType, _ count: Int, _ d: ValueDistribution)
    -> [UInt8]
  {
    var bytes = [UInt8](repeating: 0xEE, count: count * dtype.bitWidth / 8)
    guard case .generate(let fill) = generator.payload(for: name, dtype: dtype, distribution: d) else {
      Issue.record("expected a generating payload")
      return bytes
    }
    bytes.withUnsafeMutableBytes { fill($0) }
    return bytes
  }

  @Test func normalValuesHaveTheRequestedSpread() {
    let values = TensorDataGenerator(seed: 1).values(for: "w", count: 200_000, distribution: .normal(std: 0.02))
    let mean = values.reduce(0, +) / Float(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
    #expect(abs(mean) < 0.0003)
    #expect(abs(variance.squareRoot() - 0.02) < 0.0004)
    // Four bounded terms: never beyond 2·sqrt(3)σ.
    #expect(values.allSatisfy { abs($0) <= 0.02 * 3.4642 })
  }

  @Test func sameSeedSameBytesOtherSeedOrNameOtherBytes() {
    let a = bytes(TensorDataGenerator(seed: 42), "model.norm.weight", .f32, 1000, .weights)
    let b = bytes(TensorDataGenerator(seed: 42), "model.norm.weight", .f32, 1000, .weights)
    let c = bytes(TensorDataGenerator(seed: 43), "model.norm.weight", .f32, 1000, .weights)
    let d = bytes(TensorDataGenerator(seed: 42), "model.norm.bias", .f32, 1000, .weights)
    #expect(a == b)
    #expect(a != c)
    #expect(a != d)
  }

  @Test(arguments: [DType.bf16, .f16, .f64])
  func everyDTypeEncodesTheSameValues(dtype: DType) {
    let generator = TensorDataGenerator(seed: 9)
    let values = generator.values(for: "x", count: 257, distribution: .weights)
    let raw = bytes(generator, "x", dtype, 257, .weights)
    let width = dtype.bitWidth / 8
    for (i, value) in values.enumerated() {
      let slice = raw[(i * width)..<((i + 1) * width)]
      let word = slice.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
      switch dtype {
      case .bf16: #expect(UInt16(word) == FloatEncoding.bfloat16Bits(value))
      case .f16: #expect(UInt16(word) == FloatEncoding.float16Bits(value))
      default: #expect(word == Double(value).bitPattern)
      }
    }
  }

  @Test func parallelChunksGiveTheElementFormulaEverywhere() {
    let count = TensorDataGenerator.parallelChunkElements * 2 + 3
    var raw = [UInt8](repeating: 0, count: count * 2)
    raw.withUnsafeMutableBytes { TensorDataGenerator.fill($0, key: 77, dtype: .bf16, distribution: .weights) }
    let scale = TensorDataGenerator.scale(0.02)
    for i in [0, 1, TensorDataGenerator.parallelChunkElements - 1, TensorDataGenerator.parallelChunkElements, count - 1] {
      let expected = FloatEncoding.bfloat16Bits(TensorDataGenerator.normal(SplitMix64.element(i, of: 77), scale: scale))
      #expect(UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8 == expected, "element \(i)")
    }
  }

  @Test func constantsFillEveryElement() {
    let generator = TensorDataGenerator(seed: 0)
    #expect(bytes(generator, "n", .f32, 5, .ones) == Array(repeating: [0x00, 0x00, 0x80, 0x3F], count: 5).flatMap { $0 })
    #expect(bytes(generator, "n", .bf16, 7, .ones) == Array(repeating: [0x80, 0x3F], count: 7).flatMap { $0 })
    #expect(bytes(generator, "n", .f16, 3, .ones) == [0x00, 0x3C, 0x00, 0x3C, 0x00, 0x3C])
    #expect(bytes(generator, "b", .f32, 9, .zeros) == Array(repeating: 0, count: 36))
    // Larger than the 64 KiB block the fill copies along.
    let big = bytes(generator, "n", .f16, 100_003, .ones)
    #expect(big == Array(repeating: [0x00, 0x3C], count: 100_003).flatMap { $0 })
  }

  @Test func sparseDataLeavesHoles() throws {
    let model = try BasePreset.llama3_70B.model.describe()
    let tensors = BaseModelWriter.writableTensors(model, data: .sparse)
    #expect(tensors.count == 723)
    #expect(tensors.allSatisfy { if case .hole = $0.payload { true } else { false } })
  }
}
