import ArgumentParser
import Checkpoints
import TensorIO

struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "List the tensors of a checkpoint file, model folder or adapter folder.",
    discussion: """
      PATH may be a .safetensors or HDF5 file, a model folder (config.json + weights, single or \
      sharded) or a PEFT adapter folder (adapter_config.json + adapter_model.*). The format is \
      recognised by content.
      """)

  @Argument(help: "A checkpoint file or folder.")
  var path: String

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  func run() throws {
    let inspection = try CLIFailure.reading(path) { try CheckpointInspection(path: path, formats: .standard) }
    print(json ? JSONWriter(indent: 2).string(inspection.json) : inspection.text)
  }
}
