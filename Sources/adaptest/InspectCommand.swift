import ArgumentParser
import Checkpoints
import ModelReferences
import TensorIO

struct InspectCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "List the tensors of a checkpoint file, model folder or adapter folder.",
    discussion: """
      PATH may be a .safetensors or HDF5 file, a model folder (config.json + weights, single or \
      sharded) or a PEFT adapter folder (adapter_config.json + adapter_model.*). The format is \
      recognised by content. PATH may also be a Hub reference, org/name[@revision][/subfolder] or \
      hf://…, read from the Hugging Face cache or as headers from the Hub, as `check` reads it.
      """)

  @Argument(help: "A checkpoint file or folder.")
  var path: String

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  func run() async throws {
    let inspection: CheckpointInspection
    if case .hub(let hub) = try CLIFailure.reading(path, { try ModelReference.parse(path) }) {
      let resolver = ModelResolver()
      let resolved: ResolvedCheckpoint
      do {
        resolved = try await resolver.resolveModelOrAdapter(hub)
        await resolver.shutdown()
      } catch {
        await resolver.shutdown()
        throw CLIFailure.unreadable(error)
      }
      CheckInputs.noteOrigin(resolved)
      let typeKey = resolved.role == .adapter ? "peft_type" : "model_type"
      inspection = CheckpointInspection(
        kind: resolved.role == .adapter ? "adapter" : "model", path: hub.description,
        configType: resolved.config[typeKey]?.stringValue, weights: resolved.weights)
    } else {
      inspection = try CLIFailure.reading(path) { try CheckpointInspection(path: path, formats: .standard) }
    }
    print(json ? JSONWriter(indent: 2).string(inspection.json) : inspection.text)
  }
}
