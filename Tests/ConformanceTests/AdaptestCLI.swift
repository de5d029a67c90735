import Foundation
import TensorIO

/// The `adaptest` executable built next to this test binary, run as a CI job would run it.
enum AdaptestCLI {
  static let path: String? = {
    guard let test = CommandLine.arguments.first, let slash = test.lastIndex(of: "/") else { return nil }
    let candidate = String(test[..<slash]) + "/adaptest"
    return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
  }()

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
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let started = Date()
    try process.run()
    // Both pipes drained at once: a child that fills one while the test waits on the other would hang.
    let errBox = DataBox()
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      errBox.data = err.fileHandleForReading.readDataToEndOfFile()
      done.signal()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    process.waitUntilExit()
    let errData = errBox.data
    return Output(
      status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
      err: String(decoding: errData, as: UTF8.self), seconds: Date().timeIntervalSince(started))
  }

  private final class DataBox: @unchecked Sendable { var data = Data() }

  struct CLIMissing: Error, CustomStringConvertible {
    var description: String { "the adaptest executable is not built next to the tests (swift build --build-tests)" }
  }

  /// A corpus of four clean LoRA round trips on llama (`a/one`, `a/two`, `b/one`, `b/two`) in `dir`.
  static func smallCorpus(in dir: TemporaryDirectory, ids: [String] = ["a/one", "a/two", "b/one", "b/two"]) throws -> String {
    for id in ids { try dir.write("corpus/cases/\(id).yaml", CorpusTests.validCase(id)) }
    return dir.file("corpus")
  }
}
