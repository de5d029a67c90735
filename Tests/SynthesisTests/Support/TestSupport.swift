import Checkpoints
import Foundation
import TensorIO

@testable import Synthesis

/// A fresh temporary folder, removed by `cleanup()`.
struct TemporaryFolder {
  let path: String

  init(_ label: String = "synthesis") throws {
    let template = NSTemporaryDirectory() + "adaptest-\(label)-XXXXXX"
    var bytes = Array(template.utf8CString)
    guard let created = mkdtemp(&bytes) else { throw FileError(operation: "mkdtemp", path: template, errno: errno) }
    path = String(cString: created)
  }

  func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// The codecs the tests write and read with.
enum TestFormats {
  static let all = CheckpointFormats.standard

  static var canWriteSafeTensors: Bool { all.writers[.safetensors] != nil }
}

/// The Python interpreter with torch/transformers/PEFT, from `ADAPTEST_PYTHON`.
enum PythonTools {
  static var interpreter: String? {
    guard let path = ProcessInfo.processInfo.environment["ADAPTEST_PYTHON"], !path.isEmpty else { return nil }
    return path
  }

  /// The repository root, found from this file's path.
  static var repositoryRoot: String {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
  }

  /// Runs a script under `scripts/` and returns its exit status and standard output.
  static func run(script: String, arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    guard let interpreter else { return (-1, "", "ADAPTEST_PYTHON is not set") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: interpreter)
    process.arguments = [repositoryRoot + "/scripts/" + script] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["HF_HUB_OFFLINE"] = "1"
    environment["TRANSFORMERS_OFFLINE"] = "1"
    process.environment = environment
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    // Read both pipes before waiting so a chatty child cannot block on a full pipe.
    let errorData = LockedData()
    let errorReader = Thread { errorData.set(error.fileHandleForReading.readDataToEndOfFile()) }
    errorReader.start()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errorData.isSet { usleep(1000) }
    return (
      process.terminationStatus, String(decoding: outputData, as: UTF8.self),
      String(decoding: errorData.value, as: UTF8.self)
    )
  }
}

final class LockedData: @unchecked Sendable {
  private let lock = NSLock()
  private var data: Data?
  func set(_ value: Data) { lock.withLock { data = value } }
  var isSet: Bool { lock.withLock { data != nil } }
  var value: Data { lock.withLock { data ?? Data() } }
}

extension BaseModelDescription {
  /// Writes `config.json`, `description.json` and, when a safetensors writer is registered, the
  /// weights into `folder`.
  func writeForCheck(to folder: String, seed: UInt64 = 7) throws {
    try FileSystem.createDirectory(folder)
    try AtomicFile.write(text: configText, to: FileSystem.join(folder, "config.json"))
    try AtomicFile.write(
      text: JSONWriter(indent: 1).string(summaryJSON) + "\n", to: FileSystem.join(folder, "description.json"))
    if TestFormats.canWriteSafeTensors {
      try BaseModelWriter(formats: TestFormats.all).write(self, to: folder, format: .safetensors, data: .dense(seed: seed))
    }
  }
}
