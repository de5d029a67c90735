import AdapterLoading
import Synthesis
import TensorIO

/// One conformance case as its author wrote it: a base model, an adapter, how it is loaded, and
/// what a *correct* loader reports. Decoded from one `Corpus/cases/**.yaml` file.
public struct CaseSpec: Sendable, Identifiable {
  /// Unique id; equals the file's path under `Corpus/cases/` without `.yaml`.
  public var id: String
  /// What the case checks, in a sentence or two.
  public var description: String
  /// Where the behaviour comes from: `peft#1932`, `peft-semantics§6.11`, a URL.
  public var refs: [String]
  public var base: BaseSpec
  public var adapter: AdapterSpec
  public var load: LoadSpec
  /// Formats the case runs in; each format is a separate run of the case.
  public var formats: [CheckpointFormat]
  /// A hand-made broken file that replaces a generated one (malformed-input cases).
  public var malformed: MalformedInput?
  /// What a correct loader reports. Only what is written is asserted.
  public var expect: ExpectedOutcome
  /// The file the case came from, relative to the corpus root.
  public var source: String
  /// For generated cases: their place in the matrix (named axis values), instead of one derived
  /// from the mutations.
  public var matrixCoordinates: CaseCoordinates?
  /// Set when the generator cannot build the case (an impossible combination of the matrix): it
  /// is reported SKIP with this reason and never run.
  public var unbuildable: String?
  /// The generator's plan, made once when the corpus is read (the lint needs it); the runner writes
  /// this plan rather than planning the case again.
  public var plan: PairPlan?

  public init(
    id: String, description: String = "", refs: [String] = [], base: BaseSpec, adapter: AdapterSpec,
    load: LoadSpec = LoadSpec(), formats: [CheckpointFormat] = [.safetensors], malformed: MalformedInput? = nil,
    expect: ExpectedOutcome, source: String = ""
  ) {
    self.id = id
    self.description = description
    self.refs = refs
    self.base = base
    self.adapter = adapter
    self.load = load
    self.formats = formats
    self.malformed = malformed
    self.expect = expect
    self.source = source
  }
}

/// The base model: an architecture from the catalog with config overrides, or a real-size preset,
/// and mutations applied after the adapter was trained on it.
public struct BaseSpec: Sendable, Hashable {
  public var architecture: String
  /// A real-size shape from a public config (`qwen3-30b-a3b`); `architecture` is then its family.
  public var preset: String?
  /// `config.json` overrides of the architecture's small default config (`vocab_size: 128`).
  public var config: JSONObject
  /// Changes made to the base after the adapter was trained (vocab resized, wider, …).
  public var mutations: [Mutation]

  public init(architecture: String, preset: String? = nil, config: JSONObject = JSONObject(), mutations: [Mutation] = []) {
    self.architecture = architecture
    self.preset = preset
    self.config = config
    self.mutations = mutations
  }
}

/// The adapter under test: a tuner, its `adapter_config.json` overrides, and mutations of the saved
/// checkpoint.
public struct AdapterSpec: Sendable, Hashable {
  /// PEFT type as in `adapter_config.json`'s `peft_type` (`LORA`, `LOHA`, …).
  public var tuner: String
  public var config: JSONObject
  public var mutations: [Mutation]

  public init(tuner: String, config: JSONObject = JSONObject(), mutations: [Mutation] = []) {
    self.tuner = tuner
    self.config = config
    self.mutations = mutations
  }
}

/// A named change with arguments: `resize_vocab: {to: 160}`.
public struct Mutation: Sendable, Hashable, CustomStringConvertible {
  public var name: String
  public var arguments: JSONObject

  public init(_ name: String, _ arguments: JSONObject = JSONObject()) {
    self.name = name
    self.arguments = arguments
  }

  /// `resize_vocab(to=160)`, compact and stable, for reports.
  public var description: String {
    if arguments.count == 0 { return name }
    let args = arguments.members.map { "\($0.key)=\(JSONWriter.compact.string($0.value))" }
    return "\(name)(\(args.joined(separator: ",")))"
  }
}

/// How the adapter is loaded.
public struct LoadSpec: Sendable, Hashable {
  /// PEFT's two entry points, as the engine names them.
  public typealias Method = LoadCall

  public var adapterName: String
  /// Adapters already in the model, loaded in this order before the one under test.
  public var loaded: [LoadedAdapter]
  public var ignoreMismatchedSizes: Bool
  public var method: Method

  public init(
    adapterName: String = "default", loaded: [LoadedAdapter] = [], ignoreMismatchedSizes: Bool = false,
    method: Method? = nil
  ) {
    self.adapterName = adapterName
    self.loaded = loaded
    self.ignoreMismatchedSizes = ignoreMismatchedSizes
    self.method = method ?? (loaded.isEmpty ? .fromPretrained : .loadAdapter)
  }
}

/// An adapter already loaded into the model. Unless overridden it is the case's adapter (same
/// tuner and config) without the adapter mutations, i.e. a clean copy.
public struct LoadedAdapter: Sendable, Hashable {
  public var name: String
  public var tuner: String?
  public var config: JSONObject?
  public var mutations: [Mutation]

  public init(name: String, tuner: String? = nil, config: JSONObject? = nil, mutations: [Mutation] = []) {
    self.name = name
    self.tuner = tuner
    self.config = config
    self.mutations = mutations
  }
}

/// A hand-made broken file under `Corpus/malformed/` that takes the place of a generated weights
/// file (wast's `assert_malformed`).
public struct MalformedInput: Sendable, Hashable {
  /// Which generated weights file the malformed one replaces.
  public enum Role: String, Sendable, Hashable, CaseIterable {
    case adapter
    case base
  }

  /// Path relative to `Corpus/malformed/`.
  public var file: String
  public var replaces: Role

  public init(file: String, replaces: Role = .adapter) {
    self.file = file
    self.replaces = replaces
  }

  /// The format the file's extension names.
  public var format: CheckpointFormat? {
    if file.hasSuffix(".safetensors") { return .safetensors }
    if file.hasSuffix(".h5") || file.hasSuffix(".hdf5") { return .hdf5 }
    return nil
  }
}
