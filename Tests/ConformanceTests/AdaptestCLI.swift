import TestSupport
import Foundation
import TensorIO

/// The `adaptest` executable built next to this test binary, run as a CI job would run it.
enum AdaptestCLI {
  static let path = ExternalCommand.adaptest

  struct Output {
    var status: Int32
    var out: String
    var err: String
    var seconds: Double
  }

  /// Runs `adaptest arguments…` in `directory` with `environment` added to this process's.
  static func run(
    _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]
  ) throws -> Output {
    guard let path else { throw CLIMissing() }
    let result = try ExternalCommand.run([path] + arguments, environment: environment, in: directory)
    return Output(status: result.status, out: result.output, err: result.errors, seconds: result.seconds)
  }

  struct CLIMissing: Error, CustomStringConvertible {
    var description: String { "the adaptest executable is not built next to the tests (swift build --build-tests)" }
  }

  /// A corpus of four clean LoRA round trips on llama (`a/one`, `a/two`, `b/one`, `b/two`) in `dir`.
  static func smallCorpus(in dir: TemporaryDirectory, ids: [String] = ["a/one", "a/two", "b/one", "b/two"]) throws -> String {
    for id in ids { try dir.write("corpus/cases/\(id).yaml", CorpusTests.validCase(id)) }
    return dir.file("corpus")
  }
}
