import Foundation
import TensorIO
import Testing

/// The Python interpreter named by `ADAPTEST_PYTHON`, for tests that compare against the Python
/// `safetensors` package. Tests using it are skipped, with that reason, when it is not set.
enum ReferencePython {
  static let path: String? = ProcessInfo.processInfo.environment["ADAPTEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }

  static let skipReason: Comment = "set ADAPTEST_PYTHON to a python with safetensors 0.8 and numpy to run this test"

  /// Runs `script` with `arguments`; returns its standard output.
  static func run(_ script: String, _ arguments: [String]) throws -> String {
    guard let path else { throw Failure(message: "ADAPTEST_PYTHON is not set") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = [script] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["HF_HUB_OFFLINE"] = "1"
    process.environment = environment
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Read before waiting so a full pipe cannot block the child.
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw Failure(message: "\(script) exited with \(process.terminationStatus): \(errorText)")
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// What the reference does with each file, through `Corpus/malformed/safetensors/reference_probe.py`.
  static func probe(_ files: [String]) throws -> [String: (deserialize: JSONValue, safeOpen: JSONValue)] {
    let script = Fixtures.repositoryRoot + "/Corpus/malformed/safetensors/reference_probe.py"
    let report = try JSONValue.parse(try run(script, files))
    var results: [String: (JSONValue, JSONValue)] = [:]
    for (file, value) in report["results"]?.objectValue ?? JSONObject() {
      results[file] = (value["deserialize"] ?? .null, value["safe_open"] ?? .null)
    }
    return results
  }

  struct Failure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
  }
}
