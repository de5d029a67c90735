import Checkpoints
import TensorIO
import TestSupport

@testable import Synthesis

/// The codecs the tests write and read with.
enum TestFormats {
  static let all = CheckpointFormats.standard

  static var canWriteSafeTensors: Bool { all.writers[.safetensors] != nil }
}

extension ReferencePython {
  /// Runs a script under `scripts/`; its status and both outputs, whatever the status.
  static func runScript(_ script: String, arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let result = try runAllowingFailure(Repository.scripts + "/" + script, arguments)
    return (result.status, result.output, result.errors)
  }
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
