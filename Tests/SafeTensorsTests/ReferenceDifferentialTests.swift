#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import SafeTensors
import TensorIO
import TestSupport
import Testing

/// Mutated files read by Adaptest (`rustCompatible`) and by the reference through Python
/// `safetensors`: both must agree on the outcome's kind, and on the tensors when they read it.
@Suite(.enabled(if: ReferencePython.path != nil, ReferencePython.skipComment))
struct ReferenceDifferentialTests {
  @Test func mutatedFilesAgreeWithTheReference() throws {
    let folder = TemporaryDirectory()
    var mutator = Mutator(generator: SeededGenerator(seed: 0xD1FF))
    var files: [String: [UInt8]] = [:]
    let seeds = RandomizedRobustnessTests.seeds
    for i in 0..<3_000 {
      let bytes = mutator.mutate(seeds[i % seeds.count], donor: seeds[(i * 5 + 1) % seeds.count])
      let path = folder.file("m\(i).safetensors")
      try AtomicFile.write(bytes, to: path)
      files[path] = bytes
    }
    let reference = try ReferencePython.probe(files.keys.sorted())
    var agreed = 0
    var accepted = 0
    for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
      guard let theirs = reference[path]?.deserialize else {
        Issue.record("no reference outcome for \(path)")
        continue
      }
      #expect(theirs["error"]?.stringValue?.hasPrefix("panic") != true, "the reference panics on \(bytes)")
      do {
        let ours = try SafeTensorsFile(path: path, options: .rustCompatible)
        let names = ours.tensors.names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        #expect(theirs["ok"]?.arrayValue?.compactMap(\.stringValue).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } == names,
          "\(path): we read \(names), the reference gave \(theirs)")
        accepted += 1
      } catch {
        #expect(theirs["error"]?.stringValue == error.kind.code, "\(path): \(error); the reference gave \(theirs)")
      }
      agreed += 1
    }
    #expect(agreed == files.count)
    #expect(accepted > 0)
  }
}
