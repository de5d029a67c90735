import AdapterLoading
import ArgumentParser
import Checkpoints
import ModelReferences
import SafeTensors
import SystemSupport
import TensorIO

struct CheckCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Predict what loading a PEFT adapter into a base model reports, without loading it.",
    usage: "adaptest check ADAPTER [--base BASE] [<options>]\nadaptest check BASE ADAPTER [<options>]",
    discussion: """
      ADAPTER is a PEFT adapter (adapter_config.json + adapter_model.safetensors or .h5); BASE a \
      transformers model (config.json + weights, single or sharded, safetensors or HDF5). Either may \
      be a folder, a Hub repo id org/name[@revision][/subfolder] or hf://org/name[@revision][/subfolder]. \
      With ADAPTER alone the base is the adapter's base_model_name_or_path; --base overrides it. \
      Only names, dtypes and shapes are read: a Hub model is read from the Hugging Face cache \
      (HF_HOME, HF_HUB_CACHE), else from Adaptest's cache of fetched headers, else — unless \
      HF_HUB_OFFLINE=1 — from the Hub (HF_ENDPOINT, HF_TOKEN), fetching the configs and each \
      safetensors header by range requests, never the tensor data.

      Profiles: 'peft@0.13', 'peft@0.14', 'peft@0.18' and 'peft@0.21' reproduce each PEFT release line \
      exactly, with the transformers release it runs with ('peft' is the newest line, 'peft-0.13' the \
      older name of peft@0.13); 'transformers@4.57' and 'transformers@5.24' reproduce transformers' own \
      model.load_adapter (PeftAdapterMixin, with PEFT 0.18.1 / 0.21.2); 'recommended' (default) reports \
      what matters, with diagnostic codes and fixes. --all-versions prints one row per profile (result \
      and first diagnostic) and exits with the worst status among them.

      A model type or class transformers does not register (remote code) is inferred from the checkpoint \
      and the adapter's keys; every profile then prints an 'architecture-inferred' note saying what was \
      inferred and from what.

      Exit status: 0 clean, 1 warnings only, 2 the load would fail (the loader raises), 3 inputs \
      unreadable, 4 cannot tell (the load needs something Adaptest does not model, such as a PEFT method \
      outside its catalog; the report says what is unknown), 5 the load succeeds but leaves the adapter \
      broken (recommended profile).
      """)

  @Argument(help: ArgumentHelp("ADAPTER, or BASE then ADAPTER.", valueName: "reference"))
  var references: [String]

  @Option(help: "The base model (default: the adapter's base_model_name_or_path).")
  var base: String?

  @Option(help: "The name the adapter is loaded under.")
  var adapterName = "default"

  @Option(
    name: .customLong("loaded"),
    help: ArgumentHelp("An adapter already in the model, as NAME=ADAPTER (repeatable; the first is loaded with from_pretrained).",
                       valueName: "NAME=ADAPTER"))
  var loaded: [String] = []

  @Flag(help: "Pass ignore_mismatched_sizes=True.")
  var ignoreMismatchedSizes = false

  @Flag(help: "Pass low_cpu_mem_usage=True.")
  var lowCpuMemUsage = false

  @Option(help: "recommended, peft@0.13, peft@0.14, peft@0.18, peft@0.21 (or peft, the newest; peft-0.13), transformers@4.57, transformers@5.24.")
  var profile: LoadProfile = .recommended

  @Flag(help: "One row per profile: every PEFT release line, transformers' own load_adapter, and recommended.")
  var allVersions = false

  @Flag(help: "Show everything: info diagnostics, every key, environment warnings.")
  var verbose = false

  @Flag(help: "Print the outcome as JSON.")
  var json = false

  func validate() throws {
    guard (1...2).contains(references.count) else { throw ValidationError("expected ADAPTER, or BASE and ADAPTER") }
    if references.count == 2 && base != nil { throw ValidationError("give the base either as BASE or as --base, not both") }
    for entry in loaded where !entry.contains("=") || entry.hasPrefix("=") {
      throw ValidationError("--loaded expects NAME=ADAPTER, got '\(entry)'")
    }
  }

  func run() async throws {
    let resolver = ModelResolver()
    do {
      try await check(resolver)
      await resolver.shutdown()
    } catch {
      await resolver.shutdown()
      throw error
    }
  }

  private func check(_ resolver: ModelResolver) async throws {
    if references.count == 2 || base != nil { CheckReadAhead.baseGiven() }
    let adapterText = references[references.count - 1]
    let resolvedAdapter = try await CheckInputs.resolve(adapterText, as: .adapter, resolver)
    let adapter = try CheckInputs.adapter(resolvedAdapter, text: adapterText)
    let baseText: String
    if references.count == 2 {
      baseText = references[0]
    } else if let base {
      baseText = base
    } else {
      guard let named = resolvedAdapter.baseModelNameOrPath else {
        CLIFailure.printError("error: \(DisplayText.terminalSafe(adapterText)): adapter_config.json names no base_model_name_or_path; give --base")
        throw ExitCode(ExitStatus.invalidInput)
      }
      CLIFailure.printError("base: \(DisplayText.terminalSafe(named)) (the adapter's base_model_name_or_path)")
      baseText = named
    }
    let baseModel: BaseModel
    do {
      baseModel = try await CheckInputs.base(baseText, resolver)
    } catch let exit as ExitCode where references.count == 1 && base == nil {
      CLIFailure.printError("(that base is the one the adapter names; --base checks against another)")
      throw exit
    }
    CheckReadAhead.end()
    var already: [LoadedAdapter] = []
    for entry in loaded {
      let name = String(entry.prefix { $0 != "=" })
      let reference = String(entry.drop { $0 != "=" }.dropFirst())
      already.append(LoadedAdapter(name: name, source: try await CheckInputs.adapter(reference, resolver)))
    }
    let context = LoadContext(
      adapterName: adapterName, loaded: already, ignoreMismatchedSizes: ignoreMismatchedSizes,
      lowCPUMemUsage: lowCpuMemUsage)
    if allVersions {
      let rows = VersionCheck.rows(base: baseModel, adapter: adapter, context: context)
      StandardOutput.line(json ? JSONWriter(indent: 2).string(VersionCheck.json(rows)) : VersionCheck.table(rows))
      let worst = rows.map(\.status).max() ?? .clean
      if worst != .clean { throw ExitCode(ExitStatus.of(worst)) }
      return
    }
    let outcome = LoadSimulator.simulate(base: baseModel, adapter: adapter, context: context, profile: profile)
    StandardOutput.line(json ? JSONWriter(indent: 2).string(outcome.json) : outcome.text(verbose: verbose))
    if outcome.status != .clean { throw ExitCode(ExitStatus.of(outcome.status)) }
  }
}

/// Reads `check`'s references into the library's inputs (names, dtypes and shapes only).
enum CheckInputs {
  static func base(_ text: String, _ resolver: ModelResolver) async throws -> BaseModel {
    // Read ahead, the header's table stays with the read-ahead until exit. Read but not built (building failed),
    // the resolved checkpoint is taken again below and built here, which reports the failure.
    if let read = await CheckReadAhead.take(text, as: .model), let model = read.model {
      noteOrigin(read.resolved)
      return model
    }
    // Huge pages for the heap of the thread that builds the base spare most of its page faults (Benchmarks/README.md).
    // The reading-ahead thread advises its own; this one, the cooperative pool's, builds a base only when none was
    // read ahead (advised then, it had taken a 2 MB page for nothing). Resuming on another pool thread after an
    // `await` would only forgo the advice there.
    HeapGrowth.adviseHugePagesForThisThread()
    let resolved = try await resolve(text, as: .model, resolver)
    // The header's table is not needed once the model is built, but freeing its entries one by one (19,000
    // names and shapes for a large MoE) was 5 % of a check, and 8 % when done on the other core (its frees
    // then contend for this thread's malloc arena): the process exits soon after, which frees it whole.
    defer { KeptUntilExit.keep(resolved) }
    return try CLIFailure.reading(text) {
      try BaseModel(config: resolved.config, weights: resolved.weights.tensors, source: resolved.path)
    }
  }

  static func adapter(_ text: String, _ resolver: ModelResolver) async throws -> AdapterSource {
    try adapter(try await resolve(text, as: .adapter, resolver), text: text)
  }

  static func adapter(_ resolved: ResolvedCheckpoint, text: String) throws -> AdapterSource {
    try CLIFailure.reading(text) {
      try AdapterSource(
        configJSON: resolved.config, configPath: resolved.configPath, tensors: resolved.weights.tensors, path: resolved.path)
    }
  }

  /// Finds a reference; says on stderr where a Hub model came from and what was fetched.
  static func resolve(_ text: String, as role: CheckpointRole, _ resolver: ModelResolver) async throws
    -> ResolvedCheckpoint
  {
    if let read = await CheckReadAhead.take(text, as: role) {
      noteOrigin(read.resolved)
      return read.resolved
    }
    do {
      let reference = try ModelReference.parse(text)
      let resolved = try await resolver.resolve(reference, as: role)
      noteOrigin(resolved)
      return resolved
    } catch {
      throw CLIFailure.unreadable(error)
    }
  }

  /// Says on stderr where a Hub model came from.
  static func noteOrigin(_ resolved: ResolvedCheckpoint) {
    if let note = originNote(resolved) { CLIFailure.printError(note) }
  }

  /// `hf://org/name: Hugging Face cache, commit …` — nothing for a local folder.
  static func originNote(_ resolved: ResolvedCheckpoint) -> String? {
    let name = DisplayText.terminalSafe(resolved.reference.description)
    switch resolved.origin {
    case .folder: return nil
    case .huggingFaceCache(let commit): return "\(name): Hugging Face cache, commit \(commit)"
    case .hub(let commit, 0): return "\(name): headers cached by Adaptest, commit \(commit) (nothing fetched)"
    case .hub(let commit, let bytes):
      let files = resolved.weights.files.compactMap { $0 as? SafeTensorsFile }
      let total = files.reduce(0) { $0 + $1.fileSize }
      return "\(name): fetched \(bytes) bytes from the Hub, commit \(commit) "
        + "(config and \(files.count) safetensors header\(files.count == 1 ? "" : "s") of \(total) bytes of weights)"
    }
  }
}

extension LoadProfile: ExpressibleByArgument {}
