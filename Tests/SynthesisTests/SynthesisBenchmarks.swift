import Checkpoints
import Foundation
import TensorIO
import TestSupport
import Testing

@testable import Synthesis

/// Throughput figures for the report; run with
/// `ADAPTEST_BENCHMARK=1 swift test -c release -Xswiftc -enable-testing --filter SynthesisBenchmarks`.
@Suite(.serialized) struct SynthesisBenchmarks {
  static let disabled = ProcessInfo.processInfo.environment["ADAPTEST_BENCHMARK"] == nil
  static let reason: Comment = "set ADAPTEST_BENCHMARK=1 (and build with -c release) to measure"

  static func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  static func best(of runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<runs { best = min(best, try seconds(body)) }
    return best
  }

  @Test(.disabled(if: disabled, reason)) func denseGenerationAgainstMemcpy() {
    let size = 256 << 20
    let source = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    defer {
      source.deallocate()
      destination.deallocate()
    }
    source.initializeMemory(as: UInt8.self, repeating: 1)
    destination.initializeMemory(as: UInt8.self, repeating: 0)
    let memcpy = Self.best(of: 5) { destination.copyMemory(from: UnsafeRawBufferPointer(source)) }
    var lines = ["memcpy 256 MiB: \(Self.rate(size, memcpy))"]
    for dtype in [DType.f32, .bf16, .f16] {
      let time = Self.best(of: 3) {
        TensorDataGenerator.fill(destination, key: 1, dtype: dtype, distribution: .weights)
      }
      lines.append("normal \(dtype.name) 256 MiB: \(Self.rate(size, time)) (\(String(format: "%.0f", memcpy / time * 100)) % of memcpy)")
    }
    let ones = Self.best(of: 3) { TensorDataGenerator.fill(destination, key: 1, dtype: .f32, distribution: .ones) }
    lines.append("constant F32 256 MiB: \(Self.rate(size, ones))")
    print(lines.joined(separator: "\n"))
    #expect(memcpy > 0)
  }

  @Test(.disabled(if: disabled, reason)) func describingRealSizePresets() throws {
    for preset in BasePreset.allCases {
      var count = 0
      let time = try Self.best(of: 3) {
        let model = try preset.model.describe()
        count = BaseModelWriter.writableTensors(model, data: .sparse).count
      }
      print("\(preset.rawValue): describe + \(count) writable tensors in \(String(format: "%.1f", time * 1000)) ms")
      #expect(count > 0)
    }
  }

  static func rate(_ bytes: Int, _ seconds: Double) -> String {
    String(format: "%.2f GB/s", Double(bytes) / seconds / 1e9)
  }

  @Test(.disabled(if: disabled, reason), arguments: CheckpointFormat.allCases)
  func sparseRealSizePresets(format: CheckpointFormat) throws {
    let folder = TemporaryDirectory("bench-sparse")
    let writer = BaseModelWriter(formats: TestFormats.all)
    for preset in BasePreset.allCases {
      let model = try preset.model.describe()
      let path = FileSystem.join(folder.path, preset.rawValue)
      let time = try Self.seconds { try writer.write(model, to: path, format: format, data: .sparse) }
      let bytes = try model.savedTensors.reduce(0) { $0 + (try model.info(of: $1).byteCount()) }
      print(
        "sparse \(format.rawValue) \(preset.rawValue): \(model.savedTensors.count) tensors, "
          + String(format: "%.1f GB in %.0f ms", Double(bytes) / 1e9, time * 1000))
      #expect(time > 0)
    }
  }

  @Test(.disabled(if: disabled, reason), arguments: CheckpointFormat.allCases)
  func denseWriteToDisk(format: CheckpointFormat) throws {
    let folder = TemporaryDirectory("bench-dense")
    let model = try BaseModelSpec(
      family: .llama,
      dimensions: ModelDimensions(
        vocabSize: 32000, hiddenSize: 1024, intermediateSize: 2816, layers: 4, attentionHeads: 16, keyValueHeads: 4),
      dtype: .bf16
    ).describe()
    let bytes = try model.savedTensors.reduce(0) { $0 + (try model.info(of: $1).byteCount()) }
    let writer = BaseModelWriter(formats: TestFormats.all)
    let time = try Self.seconds {
      try writer.write(model, to: folder.path, format: format, data: .dense(seed: 1))
    }
    print("dense \(format.rawValue) \(bytes >> 20) MiB to disk (fsync included): \(Self.rate(bytes, time))")
    #expect(time > 0)
  }

  @Test(.disabled(if: disabled, reason)) func planningPairs() throws {
    let matrix = try MatrixSpec.decode(try JSONValue.parse(MatrixTests.matrix))
    var planned = 0
    let time = Self.seconds {
      for recipe in matrix.cases where (try? PairPlan(recipe)) != nil { planned += 1 }
    }
    print("planned \(matrix.cases.count) cases (\(planned) possible) in \(String(format: "%.1f", time * 1000)) ms: \(String(format: "%.0f", Double(matrix.cases.count) / time)) cases/s")
    #expect(planned > 0)
  }
}
