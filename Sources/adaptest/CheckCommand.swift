import AdapterLoading
import ArgumentParser
import Checkpoints
import TensorIO

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Predict what loading a PEFT adapter into a base model reports, without loading it.",
    discussion: """
      BASE_DIR is a transformers model folder (config.json + weights, single or sharded, safetensors or \
      HDF5); ADAPTER_DIR a PEFT adapter folder (adapter_config.json + adapter_model.safetensors or .h5). \
      Only names, dtypes and shapes are read.

      Profiles: 'peft' reproduces PEFT 0.21 exactly (its missing-key filter included); 'peft-0.13' PEFT \
      before the filter; 'recommended' (default) reports what matters, with diagnostic codes and fixes.

      Exit status: 0 clean, 1 warnings only, 2 the load would fail, 3 inputs unreadable, 4 cannot tell \
      (the load needs something Adaptest does not model, such as a PEFT method outside its catalog; \
      the report says what is unknown).
      """)

  @Argument(help: "The base model folder.")
  var baseDir: String

  @Argument(help: "The adapter folder.")
  var adapterDir: String

  @Option(help: "The name the adapter is loaded under.")
  var adapterName = "default"

  @Option(
    name: .customLong("loaded"),
    help: ArgumentHelp("An adapter already in the model, as NAME=DIR (repeatable; the first is loaded with from_pretrained).",
                       valueName: "NAME=DIR"))
  var loaded: [String] = []

  @Flag(help: "Pass ignore_mismatched_sizes=True.")
  var ignoreMismatchedSizes = false

  @Flag(help: "Pass low_cpu_mem_usage=True.")
  var lowCpuMemUsage = false

  @Option(help: "peft, peft-0.13 or recommended.")
  var profile: LoadProfile = .recommended

  @Flag(help: "Show everything: info diagnostics, every key, environment warnings.")
  var verbose = false

  @Flag(help: "Print the outcome as JSON.")
  var json = false

  func validate() throws {
    for entry in loaded where !entry.contains("=") || entry.hasPrefix("=") {
      throw ValidationError("--loaded expects NAME=DIR, got '\(entry)'")
    }
  }

  func run() throws {
    let base = try CLIFailure.reading(baseDir) { try CheckInputs.base(baseDir) }
    let adapter = try CLIFailure.reading(adapterDir) { try CheckInputs.adapter(adapterDir) }
    var already: [LoadedAdapter] = []
    for entry in loaded {
      let name = String(entry.prefix { $0 != "=" })
      let dir = String(entry.drop { $0 != "=" }.dropFirst())
      already.append(LoadedAdapter(name: name, source: try CLIFailure.reading(dir) { try CheckInputs.adapter(dir) }))
    }
    let context = LoadContext(
      adapterName: adapterName, loaded: already, ignoreMismatchedSizes: ignoreMismatchedSizes,
      lowCPUMemUsage: lowCpuMemUsage)
    let outcome = LoadSimulator.simulate(base: base, adapter: adapter, context: context, profile: profile)
    print(json ? JSONWriter(indent: 2).string(outcome.json) : outcome.text(verbose: verbose))
    if outcome.status != .clean { throw ExitCode(Int32(outcome.status.rawValue)) }
  }
}

/// Reads `check`'s folders into the library's inputs (names, dtypes and shapes only).
enum CheckInputs {
  static func base(_ path: String) throws -> BaseModel {
    let folder = try ModelFolder(path: path)
    let tensors: TensorTable
    if folder.weights.files.count == 1 {
      // One file: its table as read (the shard cross-checks of `Checkpoint` have nothing to check).
      tensors = try CheckpointFormats.standard.openFile(folder.weights.files[0]).tensors
    } else {
      tensors = try Checkpoint(weights: folder.weights, formats: .standard).tensors
    }
    return try BaseModel(config: folder.config, weights: tensors, source: path)
  }

  static func adapter(_ path: String) throws -> AdapterSource {
    let checkpoint = try Checkpoints.AdapterCheckpoint(path: path, formats: .standard)
    let configPath = FileSystem.join(path, FolderLayout.adapterConfig)
    let config = try AdapterConfig(json: checkpoint.folder.config, source: configPath)
    return AdapterSource(config: config, tensors: checkpoint.weights.tensors, path: path)
  }
}

extension LoadProfile: ExpressibleByArgument {}
