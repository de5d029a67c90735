import HDF5Checkpoint
import TensorIO
import TestSupport
import Testing

/// The malformed corpus (Corpus/malformed/hdf5, made by scripts/fixtures/make_hdf5_corpus.py): each
/// file gives the typed error its manifest entry states, at the stated stage.
@Suite struct MalformedCorpusTests {
  struct Case: Sendable, CustomStringConvertible {
    var file: String
    var error: String
    var stage: String
    var tensor: String?
    var why: String
    var description: String { file }
  }

  static let manifestPath = HDF5Paths.malformed + "/manifest.json"

  static let cases: [Case] = {
    guard let bytes = try? FileSystem.read(manifestPath), let manifest = try? JSONValue.parse(bytes),
      let entries = manifest["cases"]?.arrayValue
    else { return [] }
    return entries.compactMap { entry in
      guard let file = entry["file"]?.stringValue, let error = entry["error"]?.stringValue,
        let stage = entry["stage"]?.stringValue, let why = entry["why"]?.stringValue
      else { return nil }
      return Case(file: file, error: error, stage: stage, tensor: entry["tensor"]?.stringValue, why: why)
    }
  }()

  @Test func manifestListsEveryFileOfTheCorpus() throws {
    let files = try FileSystem.contents(ofDirectory: HDF5Paths.malformed).filter { $0.hasSuffix(".h5") }
    #expect(Self.cases.count >= 40)
    #expect(Set(Self.cases.map(\.file)) == Set(files))
    #expect(Set(Self.cases.map(\.file)).count == Self.cases.count)
  }

  @Test(arguments: cases)
  func givesItsTypedError(_ item: Case) throws {
    let path = HDF5Paths.malformed + "/" + item.file
    let error: HDF5CheckpointError?
    switch item.stage {
    case "open":
      error = hdf5Error { _ = try HDF5File(path: path) }
    case "read":
      let file = try HDF5File(path: path)
      let name = try #require(item.tensor, "a read case names its tensor")
      error = hdf5Error { _ = try file.bytes(of: name) }
    default:
      Issue.record("unknown stage \(item.stage)")
      return
    }
    let got = try #require(error, "\(item.file) was accepted; expected \(item.error): \(item.why)")
    #expect(got.code == item.error, "\(item.why) — got: \(got)")
    #expect(got.file == path)
    if let tensor = item.tensor { #expect(got.tensor == tensor, "\(got)") }
    #expect(!got.description.isEmpty)
  }
}
