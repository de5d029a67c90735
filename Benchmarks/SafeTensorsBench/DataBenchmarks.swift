#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import SafeTensors
import TensorIO

/// Reading a large tensor from a warm file, against plain memory.
enum DataBenchmarks {
  static func run(path: String, iterations: Int) throws -> [(String, Double)] {
    let probe = try SafeTensorsFile(path: path)
    let count = try probe.bytes(of: "big").count
    let source = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
    let target = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
    defer {
      source.deallocate()
      target.deallocate()
    }
    // Touch both heap buffers first so page faults are not timed for memcpy.
    memset(source.baseAddress!, 1, count)
    memset(target.baseAddress!, 0, count)
    // Warm the page cache.
    _ = try probe.bytes(of: "big").withUnsafeBytes { sum($0) }

    let memcpyTime = Timing.median(iterations: iterations) { memcpy(target.baseAddress!, source.baseAddress!, count) }.wall
    let heapSum = Timing.median(iterations: iterations) { blackHole(sum(UnsafeRawBufferPointer(source))) }.wall
    // Each timed read opens the file afresh, so the mapping's page faults are part of the cost.
    let copyOut = try Timing.median(iterations: iterations) {
      let file = try SafeTensorsFile(path: path)
      _ = try file.bytes(of: "big").withUnsafeBytes { memcpy(target.baseAddress!, $0.baseAddress!, $0.count) }
    }.wall
    let viewSum = try Timing.median(iterations: iterations) {
      let file = try SafeTensorsFile(path: path)
      blackHole(try file.bytes(of: "big").withUnsafeBytes { sum($0) })
    }.wall
    let gb = Double(count) / 1e9
    return [
      ("bytes", Double(count)), ("memcpy_s", memcpyTime), ("view_copy_s", copyOut), ("heap_sum_s", heapSum),
      ("view_sum_s", viewSum), ("memcpy_gbps", gb / memcpyTime), ("view_copy_gbps", gb / copyOut),
      ("view_sum_gbps", gb / viewSum), ("heap_sum_gbps", gb / heapSum),
    ]
  }

  /// Reads every byte (as 64-bit words, wrapping add) so the compiler cannot skip the reads.
  @inline(never)
  static func sum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var total: UInt64 = 0
    let words = bytes.count / 8
    for i in 0..<words { total &+= bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
    return total
  }
}
