import TestSupport
import Foundation
import TensorIO
import Testing

@testable import Conformance

/// The `adaptest` command line as a contributor and a CI job meet it: version, listing, reruns,
/// reproducer lines, colour, one error prefix.
@Suite("Run command: version, list, rerun, reproducers, colour", .serialized)
struct RunCommandCLITests {
  /// A checkout-like folder: `Corpus/` with four clean cases, `a/one` made to fail (it expects a
  /// missing key a clean round trip does not have).
  static func checkout() throws -> TemporaryDirectory {
    let dir = TemporaryDirectory()
    for id in ["a/one", "a/two", "b/one", "b/two"] {
      var text = CorpusTests.validCase(id)
      if id == "a/one" { text = text.replacingOccurrences(of: "missing_keys: []", with: "missing_keys: [x.weight]") }
      try dir.write("Corpus/cases/\(id).yaml", text)
    }
    return dir
  }

  @Test func versionNamesTheToolTheCorpusAndTheModelledReleases() throws {
    let dir = try Self.checkout()
    try dir.write("Corpus/expectations/recommended.yaml", "loader: recommended\nentries: []\n")
    try dir.write("Corpus/matrix.yaml", "not even a valid matrix\n")
    let result = try AdaptestCLI.run(["--version"], in: dir.path)
    #expect(result.status == 0)
    let lines = result.out.split(separator: "\n").map(String.init)
    #expect(lines.first == "adaptest \(AdaptestVersion.current)")
    let hash = try Corpus.load(root: dir.file("Corpus")).hash
    #expect(lines.contains("corpus \(hash) (./Corpus, as results.json records it)"), "\(lines)")
    for name in BuiltinLoaders.names { #expect(lines.contains { $0.hasPrefix("profile \(name): ") }) }
    #expect(result.seconds < 2, "the hash is read from the files; no case is planned")
  }

  @Test func fileHashIsTheLoadedCorpusHash() throws {
    let dir = try Self.checkout()
    let root = dir.file("Corpus")
    #expect(try Corpus.fileHash(root: root) == Corpus.load(root: root).hash)
    try dir.write("Corpus/matrix.yaml", "tuners: {}\n")
    try dir.write("Corpus/malformed/safetensors/x.safetensors", [1, 2, 3])
    try dir.write("Corpus/expectations/peft.yaml", "loader: peft\nentries: []\n")
    #expect(try Corpus.fileHash(root: root) == Corpus.load(root: root).hash)
  }

  @Test func aFilterThatCannotReachTheMatrixDoesNotExpandIt() throws {
    let dir = try Self.checkout()
    // A matrix file that does not parse: expanding it is a lint error (exit 3).
    try dir.write("Corpus/matrix.yaml", "tuners: [unclosed\n")
    let whole = try AdaptestCLI.run(["run", "--loader", "recommended", "--no-baseline", "--out", "whole"], in: dir.path)
    #expect(whole.status == 3 && whole.err.contains("Corpus/matrix.yaml"), "\(whole.err)")
    let anchored = try AdaptestCLI.run(["run", "--filter", "^b/", "--loader", "recommended", "--no-baseline", "--out", "b"], in: dir.path)
    #expect(anchored.status == 0, "\(anchored.err)")
    let results = try ReportWriter.read(dir.file("b/results.json"))
    #expect(results.results.map(\.id) == ["b/one", "b/two"])
    #expect(results.info.corpusHash == (try Corpus.load(root: dir.file("Corpus")).hash), "the same hash as a full load")
  }

  @Test(arguments: [
    ("^aux/", false), ("^aux/x$", false), ("^matrix/llama/", true), ("^mat", true), ("aux/", true), ("^(aux|matrix)/", true),
    ("^matrix", true),
  ])
  func whetherAFilterCanReachTheMatrix(pattern: String, reaches: Bool) throws {
    #expect(try Pattern(pattern).canMatch(prefix: "matrix/") == reaches)
  }

  @Test func listPrintsTheSelectedIdsAndRunsNothing() throws {
    let dir = try Self.checkout()
    let listed = try AdaptestCLI.run(["run", "--list", "--filter", "^(a/|b/two)", "--shard", "1/2"], in: dir.path)
    #expect(listed.status == 0, "\(listed.err)")
    #expect(listed.out == "a/one\nb/two\n", "positions 1 and 3 of a/one, a/two, b/two")
    #expect(!FileSystem.isFile(dir.file("reports/latest/results.json")))
    let none = try AdaptestCLI.run(["run", "--list", "--filter", "^zzz"], in: dir.path)
    #expect(none.status == 6)
  }

  @Test func rerunFailedRunsTheUnexpectedCasesWithTheirLoaders() throws {
    let dir = try Self.checkout()
    let first = try AdaptestCLI.run(["run", "--loader", "recommended", "--no-baseline", "--out", "first"], in: dir.path)
    #expect(first.status == 1)
    let again = try AdaptestCLI.run(["run", "--rerun-failed", "first", "--no-baseline", "--out", "again"], in: dir.path)
    #expect(again.status == 1)
    #expect(try ReportWriter.read(dir.file("again/results.json")).results.map { "\($0.loader) \($0.id) \($0.status)" } == ["recommended a/one FAIL"])

    try dir.write("Corpus/cases/a/one.yaml", CorpusTests.validCase("a/one"))
    let fixed = try AdaptestCLI.run(["run", "--rerun-failed", "first", "--no-baseline", "--out", "fixed"], in: dir.path)
    #expect(fixed.status == 0)
    let nothing = try AdaptestCLI.run(["run", "--rerun-failed", "fixed", "--no-baseline"], in: dir.path)
    #expect(nothing.status == 6)
    #expect(nothing.err == "error: fixed has no unexpected result to rerun\n")
  }

  @Test func everyReportFormatCarriesAReproducerThatReproduces() throws {
    let dir = try Self.checkout()
    let run = try AdaptestCLI.run(["run", "--loader", "recommended", "--no-baseline", "--out", "out"], in: dir.path)
    #expect(run.status == 1)
    let runLine = "adaptest run --filter '^a/one$' --loader recommended --no-baseline"
    let checkLine =
      "adaptest generate --case Corpus/cases/a/one.yaml --out repro --overwrite && adaptest check repro/a/one/base repro/a/one/adapter --profile recommended"
    #expect(run.out.contains("  reproduce: \(runLine)\n  reproduce: \(checkLine)\n"), "\(run.out)")
    #expect(try dir.read("out/summary.md").contains("  - reproduce: `\(runLine)`\n  - reproduce: `\(checkLine)`\n"))
    #expect(try dir.read("out/junit.xml").contains("reproduce: \(runLine)\nreproduce: \(checkLine.replacingOccurrences(of: "&", with: "&amp;"))"))
    #expect(try dir.read("out/index.html").contains("\"rep\":\"\(runLine)\\n"))

    // Both lines, run as a shell runs them, reproduce the failure on their own.
    let folder = try #require(AdaptestCLI.path.map { String($0[..<$0.lastIndex(of: "/")!]) })
    let environment = ["PATH": folder + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")]
    let again = try Self.shell(runLine, in: dir.path, environment: environment)
    #expect(again.status == 1)
    #expect(try ReportWriter.read(dir.file("reports/latest/results.json")).results.map { "\($0.id) \($0.status)" } == ["a/one FAIL"])
    let check = try Self.shell(checkLine, in: dir.path, environment: environment)
    #expect(check.status == 0, "the pair loads cleanly, which is what the case's expectation does not say: \(check.err)")
    #expect(FileSystem.kind(of: dir.file("repro/a/one/adapter")) == .directory)
  }

  @Test func colourOnATerminalOnlyAndNeverWithNoColor() throws {
    let dir = try Self.checkout()
    let command = "\(try #require(AdaptestCLI.path)) run --loader recommended --no-baseline --out out"
    // `script` gives the command a pseudo-terminal as its standard output.
    // An empty NO_COLOR does not count (no-color.org); the test's own environment may set it.
    let tty = try Self.shell("script -qec \"\(command)\" /dev/null", in: dir.path, environment: ["NO_COLOR": ""])
    #expect(tty.out.contains("\u{1B}[1;31mFAIL\u{1B}[0m recommended: a/one [safetensors]"), "\(tty.out)")
    let noColor = try Self.shell("script -qec \"\(command)\" /dev/null", in: dir.path, environment: ["NO_COLOR": "1"])
    #expect(!noColor.out.contains("\u{1B}[1;31m") && noColor.out.contains("FAIL recommended: a/one [safetensors]"))
    let pipe = try Self.shell(command, in: dir.path, environment: [:])
    #expect(!pipe.out.contains("\u{1B}["))
  }

  @Test(arguments: [
    (["run", "--loader", "nope"], 64),
    (["run", "--jobs", "0"], 64),
    (["run", "--no-such-option"], 64),
    (["diff", "/nonexistent/a.json", "/nonexistent/b.json"], 3),
    (["report", "merge", "/nonexistent/a.json", "--out", "/nonexistent/out"], 3),
  ])
  func everyErrorLineStartsTheSameWay(arguments: [String], status: Int) throws {
    let result = try AdaptestCLI.run(arguments)
    #expect(Int(result.status) == status)
    #expect(result.err.hasPrefix("error: "), "\(result.err)")
    #expect(!result.err.contains("Error:") && !result.err.contains("adaptest: "))
  }

  static func shell(_ line: String, in directory: String, environment: [String: String]) throws -> AdaptestCLI.Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", line]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    process.standardOutput = out
    let errFile = FileSystem.join(directory, ".stderr")
    try #require(FileManager.default.createFile(atPath: errFile, contents: nil), "cannot create \(errFile)")
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let err = String(decoding: try FileSystem.read(errFile), as: UTF8.self)
    return AdaptestCLI.Output(status: process.terminationStatus, out: String(decoding: data, as: UTF8.self), err: err, seconds: 0)
  }
}
