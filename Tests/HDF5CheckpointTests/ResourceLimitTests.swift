import Foundation
import HDF5Checkpoint
import TensorIO
import TestSupport
import Testing

/// Files that claim enormous sizes (headers of exabytes, tensors of a tebibyte) must cost what the
/// file really holds. Each is read by the real `adaptest` in a child process, whose peak resident
/// memory is taken from `wait4`'s resource usage (`Subprocess`) and compared with reading a tiny valid file.
@Suite("Resource limits")
struct ResourceLimitTests {
  static func adaptest() throws -> String { try #require(IsolationTests.adaptest, "adaptest is built next to the tests") }

  /// Peak memory of `adaptest inspect` on a small valid file: the baseline every hostile file is held to.
  static func baseline() throws -> Int {
    try ExternalCommand.run([try adaptest(), "inspect", HDF5Paths.fixtures + "/h5py-layout.h5"], mergeErrors: true).peakRSSKiB
  }

  /// What a file may cost beyond the baseline.
  static let allowanceKiB = 48 * 1024

  static let safetensorsClaims = [
    "header-length-2-63", "header-length-4-gib", "header-length-u64-max", "header-length-limit-plus-one",
    "incomplete-claims-an-exabyte", "overflow-shape-product", "overflow-u64-max-dimension", "zero-size-huge-dimension",
    "json-offset-above-u64", "overflow-many-dimensions",
  ]

  @Test("safetensors files claiming huge headers or tensors: a typed error in little memory", arguments: safetensorsClaims)
  func safetensors(_ name: String) throws {
    let base = try Self.baseline()
    let path = Repository.root + "/Corpus/malformed/safetensors/\(name).safetensors"
    let result = try ExternalCommand.run([try Self.adaptest(), "inspect", path], mergeErrors: true)
    #expect(result.status == 3 || result.status == 0, "\(result.output)")
    #expect(result.peakRSSKiB < base + Self.allowanceKiB, "peak \(result.peakRSSKiB) KiB against \(base) KiB for a tiny file")
  }

  /// Issue 15: a header claiming one byte over the limit in a file large enough to hold it was paged
  /// in (100 MB) before being refused.
  @Test("a header over the limit in a big file is refused without reading it")
  func headerOverLimitInBigFile() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("big-claim.safetensors")
    var prefix = [UInt8](repeating: 0, count: 8)
    withUnsafeBytes(of: UInt64(100_000_001).littleEndian) { for i in 0..<8 { prefix[i] = $0[i] } }
    try AtomicFile.write(prefix + Array("{".utf8), to: path)
    // A sparse 160 MB file: the bytes the claim covers exist, as zeros, without using the disk.
    #expect(truncate(path, 160_000_000) == 0)
    let base = try Self.baseline()
    let result = try ExternalCommand.run([try Self.adaptest(), "inspect", path], mergeErrors: true)
    #expect(result.status == 3, "\(result.output)")
    #expect(result.output.contains("header too large"), "\(result.output)")
    #expect(result.peakRSSKiB < base + Self.allowanceKiB, "peak \(result.peakRSSKiB) KiB against \(base) KiB")
  }

  /// Issue 15: `convert` held every tensor of a file in memory at once (an HDF5 file's tensors are
  /// read into memory), so its peak grew with the file. It now streams one tensor at a time.
  @Test("convert's memory stays flat in the number of tensors")
  func convertStreams() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("eight.h5")
    let tensorBytes = 32 << 20
    let tensors = (0..<8).map { i in
      WritableTensor(
        name: "layers.\(i).weight", info: TensorInfo(dtype: .u8, shape: [tensorBytes]),
        payload: .generate { out in for j in stride(from: 0, to: out.count, by: 4096) { out[j] = UInt8(truncatingIfNeeded: i &+ j) } })
    }
    try HDF5Writer().write(tensors, metadata: [:], to: path)
    let base = try Self.baseline()
    let result = try ExternalCommand.run([try Self.adaptest(), "convert", path, dir.file("out.safetensors"), "--to", "safetensors"], mergeErrors: true)
    #expect(result.status == 0, "\(result.output)")
    // Two copies of one tensor (read buffer, mapped output region) and the baseline; the eight
    // tensors together are 256 MiB.
    let limit = base + 4 * (tensorBytes >> 10)
    #expect(result.peakRSSKiB < limit, "peak \(result.peakRSSKiB) KiB, limit \(limit) KiB, all tensors \(8 * tensorBytes >> 10) KiB")
    print("convert of 8 × 32 MiB HDF5 → safetensors: peak RSS \(result.peakRSSKiB) KiB (baseline \(base) KiB)")
  }

  /// Issue 15: an HDF5 dataset that was never written can claim any size; converting a 2 KB file
  /// wrote until the disk was full. The output's size is checked against the free space first.
  @Test("convert refuses an output larger than the free disk space, writing nothing")
  func convertChecksSpace() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("pebibyte.h5")
    let huge = WritableTensor(name: "huge.weight", info: TensorInfo(dtype: .u8, shape: [1 << 25, 1 << 25]), payload: .hole)
    try HDF5Writer().write([huge], metadata: [:], to: path)
    let result = try ExternalCommand.run([try Self.adaptest(), "convert", path, dir.file("out.safetensors"), "--to", "safetensors"], mergeErrors: true)
    #expect(result.status != 0)
    #expect(result.output.contains("free; nothing was written"), "\(result.output)")
    #expect(try FileSystem.contents(ofDirectory: dir.path) == ["pebibyte.h5"])
  }

  /// Issue 15: each tensor's bytes were capped at 1,032 times the file, but not their sum, so many
  /// tensors made of fill values (or datasets sharing one region) produced gigabytes from a 1.7 KB
  /// file. Reads of one file together are now capped: reading one small tensor over and over reaches
  /// the cap exactly as many such tensors would.
  @Test("the bytes one HDF5 file yields are capped in total")
  func totalExpansionCap() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("small.h5")
    try HDF5Writer().write([WritableTensor.bytes("w", .u8, [1024], [UInt8](repeating: 7, count: 1024))], metadata: [:], to: path)
    let file = try HDF5File(path: path, isolation: .inProcess)
    let size = try FileSystem.read(path).count
    let allowed = size * 1032 / 1024
    for _ in 0..<allowed { _ = try file.bytes(of: "w") }
    let error = try #require(throws: HDF5CheckpointError.self) {
      for _ in 0..<2 { _ = try file.bytes(of: "w") }
    }
    #expect(error.description.contains("would expand to more than 1032 times"), "\(error)")
  }

  @Test("an HDF5 tensor of a tebibyte that was never written: inspected in little memory")
  func hdf5Hole() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("tebibyte.h5")
    let huge = WritableTensor(name: "huge.weight", info: TensorInfo(dtype: .u8, shape: [1 << 20, 1 << 20]), payload: .hole)
    let small = WritableTensor.bytes("small.weight", .u8, [4], [1, 2, 3, 4])
    try HDF5Writer().write([huge, small], metadata: [:], to: path)
    // Written by this process, but read by another: the child validates it first, as any file.
    let base = try Self.baseline()
    let inspect = try ExternalCommand.run([try Self.adaptest(), "inspect", path], mergeErrors: true)
    #expect(inspect.status == 0, "\(inspect.output)")
    #expect(inspect.output.contains("huge.weight"))
    #expect(inspect.peakRSSKiB < base + Self.allowanceKiB, "peak \(inspect.peakRSSKiB) KiB against \(base) KiB")
  }

  @Test("a reader handed a tebibyte hole gives zeros without touching memory")
  func holeBytes() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("hole.h5")
    let huge = WritableTensor(name: "huge.weight", info: TensorInfo(dtype: .u8, shape: [1 << 20, 1 << 20]), payload: .hole)
    try HDF5Writer().write([huge], metadata: [:], to: path)
    let file = try HDF5File(path: path, isolation: .inProcess)
    // Either an allocation failure (the system refuses a tebibyte of address space) or lazily
    // mapped zeros; never a tebibyte of resident memory.
    do {
      let bytes = try file.bytes(of: "huge.weight")
      #expect(bytes.count == 1 << 40)
      #expect(bytes.withUnsafeBytes { $0[0] == 0 && $0[(1 << 40) - 1] == 0 })
    } catch {
      #expect(error.code == "allocation-failed", "\(error)")
    }
  }
}
