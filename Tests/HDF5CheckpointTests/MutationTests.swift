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

/// Randomised damage to valid files: a typed error or a valid result, never a crash in Swift code.
///
/// Damage that libhdf5 never interprets (raw data) or rejects before parsing (truncation, checked
/// against the superblock's end-of-file address) is tested in process. Arbitrary damage can crash
/// libhdf5 1.10.8 itself (Corpus/malformed/hdf5/crashers), so it is tested in child processes:
/// files written by ``HDF5Writer`` (all metadata checksummed) must never crash it; h5py-written
/// files (global heap strings) are known to.
@Suite struct MutationTests {
  private static func writeSample(_ dir: TemporaryDirectory) throws -> (path: String, bytes: [UInt8]) {
    let path = dir.file("sample.h5")
    try HDF5Writer().write(HDF5MutationProbe.sampleTensors(), metadata: HDF5MutationProbe.sampleMetadata, to: path)
    return (path, try FileSystem.read(path))
  }

  /// Where `needle` occurs in `haystack`, if exactly once.
  private static func uniqueOffset(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard needle.count > 0, haystack.count >= needle.count else { return nil }
    var found: Int?
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
      if haystack[start..<(start + needle.count)].elementsEqual(needle) {
        if found != nil { return nil }
        found = start
      }
    }
    return found
  }

  @Test func rawDataDamageReadsBackExactly() throws {
    let dir = TemporaryDirectory()
    let (_, original) = try Self.writeSample(dir)
    var payloads: [(name: String, bytes: [UInt8], offset: Int)] = []
    for tensor in HDF5MutationProbe.sampleTensors() {
      guard case .bytes(let bytes) = tensor.payload, bytes.count >= 12,
        let offset = Self.uniqueOffset(of: bytes.array, in: original)
      else { continue }
      payloads.append((tensor.name, bytes.array, offset))
    }
    #expect(payloads.count >= 15)

    var random = SeededGenerator(seed: 77)
    let mutantPath = dir.file("mutant.h5")
    for _ in 0..<120 {
      let target = payloads[Int(random.next() % UInt64(payloads.count))]
      var expected = target.bytes
      var data = original
      for _ in 0...(random.next() % 4) {
        let position = Int(random.next() % UInt64(expected.count))
        expected[position] ^= UInt8(truncatingIfNeeded: random.next() | 1)
        data[target.offset + position] = expected[position]
      }
      unlink(mutantPath)
      try AtomicFile.write(data, to: mutantPath)
      let file = try HDF5File(path: mutantPath)
      #expect(file.tensors.names == HDF5MutationProbe.sampleTensors().map(\.name))
      #expect(try file.bytes(of: target.name).array == expected)
      for other in payloads where other.name != target.name {
        #expect(try file.bytes(of: other.name).array == other.bytes)
      }
    }
  }

  @Test func truncationsGiveTypedErrors() throws {
    let dir = TemporaryDirectory()
    let (_, original) = try Self.writeSample(dir)
    var random = SeededGenerator(seed: 78)
    let lengths = [0, 1, 7, 8, 9, 47, 48, original.count - 1] + (0..<60).map { _ in Int(random.next() % UInt64(original.count)) }
    for length in lengths {
      let path = dir.file("truncated-\(length).h5")
      try AtomicFile.write(original.prefix(length), to: path)
      let error = hdf5Error { _ = try HDF5File(path: path) }
      // Below 8 bytes there is no signature; beyond, libhdf5 compares the superblock's EOF address.
      #expect(error?.code == (length < 8 ? "not-hdf5" : "corrupt-file"), "length \(length): \(String(describing: error))")
      unlink(path)
    }
  }

  /// Bit flips, random bytes, interesting integers over 2/4/8-byte fields, copied ranges.
  private static func mutate(_ data: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
    var data = data
    let count = UInt64(data.count)
    switch random.next() % 4 {
    case 0:
      for _ in 0...(random.next() % 4) { data[Int(random.next() % count)] ^= 1 << (random.next() % 8) }
    case 1:
      let start = Int(random.next() % count)
      for k in start..<min(start + 1 + Int(random.next() % 16), data.count) { data[k] = UInt8(truncatingIfNeeded: random.next()) }
    case 2:
      let width = [2, 4, 8][Int(random.next() % 3)]
      let interesting: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, .max, UInt64(data.count), random.next()]
      let value = interesting[Int(random.next() % UInt64(interesting.count))]
      let start = Int(random.next() % UInt64(max(1, data.count - width)))
      for k in 0..<width where start + k < data.count { data[start + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
    default:
      let length = 1 + Int(random.next() % 64)
      let source = Int(random.next() % count)
      let target = Int(random.next() % count)
      let chunk = Array(data[source..<min(source + length, data.count)])
      for (k, byte) in chunk.enumerated() where target + k < data.count { data[target + k] = byte }
    }
    return data
  }

  private static let knownCodes: Set<String> = [
    "not-hdf5", "corrupt-file", "not-adaptest-layout", "unsupported-version", "invalid-layout", "unknown-dtype",
    "dtype-mismatch", "shape-mismatch", "unreadable-dataset", "name-collision", "allocation-failed", "library",
  ]

  @Test(.enabled(if: ChildProbe.testBinary != nil, "needs a directly runnable test binary (swift test on Linux)"))
  func arbitraryDamageNeverTrapsInSwift() throws {
    let dir = TemporaryDirectory()
    let (_, swiftWritten) = try Self.writeSample(dir)
    let h5pyWritten = try FileSystem.read(HDF5Paths.fixtures + "/h5py-layout.h5")
    var random = SeededGenerator(seed: 2026)
    var mutants: [String] = []
    for (stem, original) in [("swift", swiftWritten), ("h5py", h5pyWritten)] {
      for i in 0..<150 {
        let path = dir.file("\(stem)-\(i).h5")
        try AtomicFile.write(Self.mutate(original, &random), to: path)
        mutants.append(path)
      }
    }

    let outcomes = try ChildProbe.probe(mutants)
    var libraryFailures: [String] = []
    for path in mutants {
      let name = FileSystem.lastComponent(path)
      switch outcomes[path] {
      case .finished(let text)?:
        let code = text.split(separator: ":").last.map(String.init) ?? text
        #expect(text == "ok" || Self.knownCodes.contains(code), "\(name): \(text)")
      case .signal(let number)?:
        // A Swift runtime trap (overflow, failed unwrap) raises SIGILL or SIGTRAP: that is our bug.
        #expect(number != SIGILL && number != SIGTRAP, "\(name): Swift trap (signal \(number))")
        #expect(!name.hasPrefix("swift-"), "\(name): libhdf5 crashed (signal \(number)) on an HDF5Writer file")
        if number != SIGILL && number != SIGTRAP { libraryFailures.append("\(name): signal \(number)") }
      case .hang?:
        #expect(!name.hasPrefix("swift-"), "\(name): libhdf5 made no progress on an HDF5Writer file")
        libraryFailures.append("\(name): no progress")
      case nil:
        Issue.record("\(name): no outcome")
      }
    }
    let finished = outcomes.values.filter { if case .finished = $0 { true } else { false } }.count
    #expect(finished >= mutants.count * 9 / 10)
    // Crashes and endless loops inside libhdf5 1.10.8 (see Corpus/malformed/hdf5/crashers) are
    // known; isolating libhdf5 in a child process is the fix.
    withKnownIssue("libhdf5 1.10.8 crashes or loops on some damaged h5py files", isIntermittent: true) {
      if !libraryFailures.isEmpty { Issue.record("\(libraryFailures.count) libhdf5 failures: \(libraryFailures)") }
    }
  }
}
