import HDF5Checkpoint
import TensorIO
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Entry points for scripts/checks/hdf5_mutation_scan.py, which runs this test binary as a child process
/// so that a crash inside libhdf5 kills only the child. Skipped unless the script sets its variables.
@Suite struct HDF5MutationProbe {
  static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

  /// A checkpoint exercising every part of the layout, the seed for mutations.
  static func sampleTensors() -> [WritableTensor] {
    var random = SeededGenerator(seed: 2024)
    var tensors = DType.allCases.map { dtype in
      let shape = RoundTripTests.shape(for: dtype)
      let count = (try? TensorInfo(dtype: dtype, shape: shape).byteCount()) ?? 0
      return WritableTensor.bytes("model.layers.0.\(dtype.name).weight", dtype, shape, random.bytes(count))
    }
    tensors += ["a.b", "a.b.c", "", "nul\u{0}name", "scalar"].map { WritableTensor.bytes($0, .f32, [], random.bytes(4)) }
    tensors.append(WritableTensor(name: "hole", info: TensorInfo(dtype: .bf16, shape: [32, 32]), payload: .hole))
    return tensors
  }

  static let sampleMetadata = ["format": "pt", "": "empty key", "adaptest_like": "escaped"]

  /// Writes the sample checkpoint to ADAPTEST_HDF5_PROBE_SEED_OUT.
  @Test(.enabled(if: environment("ADAPTEST_HDF5_PROBE_SEED_OUT") != nil, "set by the mutation scan script"))
  func writeSeed() throws {
    let path = try #require(Self.environment("ADAPTEST_HDF5_PROBE_SEED_OUT"))
    try HDF5Writer().write(Self.sampleTensors(), metadata: Self.sampleMetadata, to: path)
  }

  /// Opens every file listed in ADAPTEST_HDF5_PROBE_LIST and reads all its tensors, logging
  /// `start` before and `end` after each to ADAPTEST_HDF5_PROBE_LOG (unbuffered, so the log shows
  /// which input a crash happened on).
  @Test(.enabled(if: environment("ADAPTEST_HDF5_PROBE_LIST") != nil, "set by the mutation scan script"))
  func probeFiles() throws {
    let list = try #require(Self.environment("ADAPTEST_HDF5_PROBE_LIST"))
    let logPath = try #require(Self.environment("ADAPTEST_HDF5_PROBE_LOG"))
    let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    try #require(log >= 0)
    defer { close(log) }
    func note(_ line: String) {
      var text = line + "\n"
      text.withUTF8 { _ = write(log, $0.baseAddress, $0.count) }
    }
    let paths = String(decoding: try FileSystem.read(list), as: UTF8.self).split(separator: "\n").map(String.init)
    for path in paths {
      note("start\t\(path)")
      var outcome = "ok"
      do {
        let file = try HDF5File(path: path)
        for entry in file.tensors {
          do {
            _ = try file.bytes(of: entry.name)
          } catch {
            outcome = "read:\(error.code)"
          }
        }
      } catch {
        outcome = "open:\(error.code)"
      }
      note("end\t\(path)\t\(outcome)")
    }
  }
}
