import SafeTensors
import TensorIO
import TestSupport
import Testing

/// Every file of `Corpus/malformed/safetensors` against `expected.json`: the reference's outcome
/// (checked against Python `safetensors` by the corpus generator) with ``SafeTensorsReadOptions/rustCompatible``,
/// and the strict default's outcome where it deliberately differs (`strict`); `adaptest` marks the
/// one place where both modes differ because a shape dimension above `Int.max` cannot be held.
@Suite struct MalformedCorpusTests {
  struct Case: Sendable, CustomStringConvertible {
    var file: String
    var expected: JSONValue
    var strict: JSONValue?
    /// Where every mode differs from the reference (a limit of Adaptest's types).
    var adaptest: JSONValue?
    var description: String { file }
  }

  static let folder = Repository.root + "/Corpus/malformed/safetensors"

  static let cases: [Case] = {
    guard let manifest = try? Fixtures.json(folder + "/expected.json") else { return [] }
    return (manifest["cases"]?.arrayValue ?? []).map {
      Case(file: $0["file"]?.stringValue ?? "?", expected: $0["expected"] ?? .null, strict: $0["strict"], adaptest: $0["adaptest"])
    }
  }()

  @Test func corpusIsPresentAndComplete() throws {
    #expect(Self.cases.count >= 100)
    let files = try FileSystem.contents(ofDirectory: Self.folder).filter { $0.hasSuffix(".safetensors") }
    #expect(Set(files) == Set(Self.cases.map(\.file)))
    // One case at least for every error the reference can raise while reading.
    let codes = Set(Self.cases.compactMap { $0.expected["error"]?.stringValue })
    #expect(codes.isSuperset(of: [
      "headerTooSmall", "headerTooLarge", "invalidHeaderLength", "invalidHeader", "invalidHeaderDeserialization",
      "invalidOffset", "validationOverflow", "misalignedSlice", "tensorInvalidInfo", "metadataIncompleteBuffer",
    ]))
  }

  @Test(arguments: cases)
  func referenceOutcome(_ testCase: Case) {
    Self.check(testCase.file, options: .rustCompatible, against: testCase.adaptest ?? testCase.expected)
  }

  @Test(arguments: cases)
  func strictOutcome(_ testCase: Case) {
    Self.check(testCase.file, options: .strict, against: testCase.strict ?? testCase.adaptest ?? testCase.expected)
  }

  static func check(_ file: String, options: SafeTensorsReadOptions, against expected: JSONValue) {
    let path = folder + "/" + file
    do {
      let read = try SafeTensorsFile(path: path, options: options)
      guard let names = expected["ok"]?.arrayValue else {
        Issue.record("\(file) was read, expected \(expected)")
        return
      }
      #expect(read.tensors.names == names.compactMap(\.stringValue), "\(file)")
      for entry in read.tensors {
        // A valid result is self-consistent: every view lies inside the file and has the tensor's size.
        let bytes = try? read.bytes(of: entry.name)
        #expect(bytes?.count == (try? entry.info.byteCount()), "\(file): \(entry.name)")
      }
    } catch {
      #expect(error.file == path)
      #expect(error.kind.code == expected["error"]?.stringValue, "\(file): \(error)")
      if let tensor = expected["tensor"]?.stringValue {
        #expect(error.tensor == tensor, "\(file): \(error)")
      }
    }
  }
}
