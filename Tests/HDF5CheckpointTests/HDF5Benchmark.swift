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

/// Writes and reads a 256 MiB F32 tensor with HDF5Writer/HDF5File and with h5py, on the same files,
/// and prints the figures and ratios. A benchmark, not a timed test: it asserts only correctness.
/// Run with `ADAPTEST_HDF5_BENCH=1 ADAPTEST_PYTHON=… swift test --filter HDF5Benchmark`.
@Suite struct HDF5Benchmark {
  static let enabled = getenv("ADAPTEST_HDF5_BENCH") != nil && H5py.python != nil

  private static func seconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
  }

  private static func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<runs {
      let start = seconds()
      try body()
      times.append(seconds() - start)
    }
    return times.sorted()[runs / 2]
  }

  @Test(.enabled(if: enabled, "set ADAPTEST_HDF5_BENCH=1 and ADAPTEST_PYTHON to a Python with h5py"))
  func writeAndRead256MiB() throws {
    let python = try #require(H5py.python)
    let dir = TemporaryDirectory()
    let count = 64 << 20  // F32 elements: 256 MiB
    let data = OwnedBytes(count: count * 4) { buffer in
      for i in 0..<1024 { buffer.storeBytes(of: Float(i) * 0.5 - 7, toByteOffset: i * 4, as: Float.self) }
      var filled = 4096
      while filled < buffer.count {
        let chunk = min(filled, buffer.count - filled)
        (buffer.baseAddress! + filled).copyMemory(from: buffer.baseAddress!, byteCount: chunk)
        filled += chunk
      }
    }
    let tensor = WritableTensor(
      name: "w", info: TensorInfo(dtype: .f32, shape: [count]), payload: .bytes(TensorBytes(data)))
    let swiftPath = dir.file("swift.h5")
    let h5pyPath = dir.file("h5py.h5")
    let runs = 3

    // Both files are written first, then each is read by both tools, so that no read follows
    // its own file's write directly (that order measures page-cache writeback, not the reader).
    let script = Repository.root + "/scripts/bench/hdf5_h5py_bench.py"
    func h5py(_ arguments: [String]) throws -> Double {
      let result = try ExternalCommand.run([python, script] + arguments + [String(runs)], mergeErrors: true)
      try #require(result.status == 0, "\(result.output)")
      let last = result.output.split(separator: "\n").last.map(String.init) ?? ""
      return try #require(try? JSONValue.parse(last))["seconds"]?.doubleValue ?? .nan
    }
    let swiftWrite = try Self.median(runs) { try HDF5Writer().write([tensor], metadata: [:], to: swiftPath) }
    let h5pyWrite = try h5py(["write", swiftPath, h5pyPath])

    var read = TensorBytes(OwnedBytes([]))
    let swiftRead = try Self.median(runs) { read = try HDF5File(path: swiftPath).bytes(of: "w") }
    #expect(Self.equal(read, data))
    let h5pyReadSwift = try h5py(["read", swiftPath])
    let swiftReadOfH5py = try Self.median(runs) { read = try HDF5File(path: h5pyPath).bytes(of: "w") }
    #expect(Self.equal(read, data))
    let h5pyReadOwn = try h5py(["read", h5pyPath])

    func line(_ label: String, _ swift: Double, _ h5py: Double) -> String {
      let mib = Double(count * 4) / Double(1 << 20)
      let pad = label + String(repeating: " ", count: max(0, 34 - label.count))
      return "\(pad) Swift \(Self.format(swift * 1000)) ms (\(Self.format(mib / swift)) MiB/s)"
        + "  h5py \(Self.format(h5py * 1000)) ms (\(Self.format(mib / h5py)) MiB/s)  h5py/Swift \(Self.format(h5py / swift))×"
    }
    print("HDF5 benchmark, 256 MiB F32, median of \(runs) warm runs")
    print(line("write (Adaptest layout, fsync)", swiftWrite, h5pyWrite))
    print(line("read the Swift-written file", swiftRead, h5pyReadSwift))
    print(line("read the h5py-written file", swiftReadOfH5py, h5pyReadOwn))
  }

  private static func equal(_ bytes: TensorBytes, _ data: OwnedBytes) -> Bool {
    bytes.withUnsafeBytes { read in
      read.count == data.bytes.count && memcmp(read.baseAddress!, data.bytes.baseAddress!, read.count) == 0
    }
  }

  private static func format(_ value: Double) -> String {
    let scaled = (value * 10).rounded() / 10
    return String(scaled)
  }
}
