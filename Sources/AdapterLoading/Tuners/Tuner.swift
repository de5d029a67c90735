import TensorIO

/// One PEFT method: what its layers hold, how it picks and shapes the parameters it adds to each
/// targeted module, and how its checkpoint keys relate to the model's keys.
///
/// Each tuner is one file in `Tuners/` and one entry in ``TunerCatalog``. The defaults in the protocol
/// extension are PEFT's `BaseTuner` behaviour (structural key prefixes, adapter name removed from the
/// last or second-to-last key component); tuners override only what PEFT overrides.
public protocol Tuner: Sendable {
  /// `peft_type`.
  var peftType: PeftType { get }
  /// The PEFT config class (`LoraConfig`), used in PEFT's messages.
  var configClassName: String { get }
  /// The tuner model class (`LoraModel`), used in PEFT's messages.
  var modelClassName: String { get }
  /// The fields the config class declares (PEFT 0.21.2 dataclass fields).
  var configFields: Set<String> { get }
  /// A tuner layer's adapter containers, in registration order (after `base_layer`).
  var layerAttributes: [LayerAttribute] { get }
  /// Containers the tuner model registers after `model`, shared by its layers (VeRA's projections).
  func modelAttributes(_ config: AdapterConfig) -> [LayerAttribute]
  /// `target_modules` PEFT uses when a config has none (`TRANSFORMERS_MODELS_TO_*_TARGET_MODULES_MAPPING`);
  /// `nil` is PEFT's "Please specify `target_modules`", a throw the method's own error (Shadow's stack search).
  func defaultTargetModules(for base: BaseModel) throws(PythonError) -> TargetModules?

  /// Checks PEFT runs when the config is created (`__post_init__`), with the warnings it emits.
  func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError)

  /// Checks PEFT runs when another adapter is added to a model that already has `existing`.
  func checkNewAdapter(_ config: AdapterConfig, existing: [NamedAdapter]) throws(PythonError)

  /// Entries created on the tuner model before injection (`_pre_injection_hook`), given every module the
  /// config targets. Only called when the tuner model is created (the first adapter).
  func modelLevelEntries(_ config: AdapterConfig, targets: [InjectionTarget], adapterName: String)
    throws(PythonError) -> [AdapterEntry]

  /// The parameters the adapter adds to one targeted module. May change `config` (PEFT flips
  /// `fan_in_fan_out` for `Conv1D`) and emit warnings.
  func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan

  /// Work after all modules are injected (`TrainableTokensModel` ties its layers here).
  func postInjection(_ model: inout PeftModel, adapterName: String, config: AdapterConfig) throws(PythonError)

  /// `_remove_adapter_name_from_key`: a model key → its checkpoint key.
  func checkpointKey(forModelKey key: String, adapterName: String) -> String

  /// `_prepare_adapter_config`: fills the defaults PEFT derives from the model type (after
  /// `target_modules`), or raises where it cannot.
  func prepareConfig(_ config: inout AdapterConfig, base: BaseModel) throws(PythonError)

  /// Per-module attributes the method keeps in the model but never writes to a checkpoint
  /// (AdaLoRA's `ranknum`): a checkpoint cannot be said to miss them.
  var unsavedAttributes: [String] { get }

  /// `_get_adapter_state_dict`: the entries the adapter saves (model keys, still with the adapter name).
  func adapterStateDict(_ request: SaveRequest) throws(PythonError) -> StateDict

  /// `_remap_adapter_state_dict_for_load`: checkpoint keys → model keys, plus the method's checks.
  func remapForLoad(_ checkpoint: StateDict, request: inout LoadRequest, warnings: inout [PythonWarning])
    throws(PythonError) -> StateDict

  /// Whether the tuner targets `nn.Parameter`s through `target_parameters` (LoRA only).
  var supportsTargetParameters: Bool { get }

  /// Whether the checkpoint holds each layer's reference to a shared tuner-model container as well as
  /// the container itself (RandLoRA, which has no save override); otherwise the references are not
  /// saved and a checkpoint cannot be said to miss them.
  var savesSharedReferences: Bool { get }

  /// Prompt learning only: the encoder `_setup_prompt_encoder` puts under `prompt_encoder.<name>` for a
  /// prepared config (layers, width and heads filled from the base).
  func promptEncoder(_ config: AdapterConfig) throws(PythonError) -> PromptEncoderPlan

  /// Prompt learning only: the encoder's `_load_adapter_state_dict`, run after torch's pass over the
  /// model. `encoder` holds the encoder's tensors by key relative to it (`embedding.weight`).
  func loadPromptEncoder(_ checkpoint: StateDict, encoder: StateDict) throws(PromptEncoderLoadError)

  /// Prompt learning only: the checkpoint keys the encoder reads (torch's pass calls them unexpected).
  var promptEncoderCheckpointKeys: [String] { get }
}

/// What a prompt-learning method's encoder registers for one adapter, in registration order.
public struct PromptEncoderPlan: Hashable, Sendable {
  /// An `nn.Embedding` child of the encoder.
  public struct EmbeddingChild: Hashable, Sendable {
    public var name: String
    public var rows: Int
    public var width: Int
    public init(_ name: String, rows: Int, width: Int) {
      self.name = name
      self.rows = rows
      self.width = width
    }
  }

  /// The encoder class (`PromptEmbedding`, `PrefixEncoder`, `CartridgeEncoder`, …).
  public var className: String
  /// Parameters registered on the encoder itself (multitask prompt tuning's `prefix_task_cols`).
  public var parameters: [ModuleTensor]
  public var embeddings: [EmbeddingChild]

  public init(className: String, parameters: [ModuleTensor] = [], embeddings: [EmbeddingChild]) {
    self.className = className
    self.parameters = parameters
    self.embeddings = embeddings
  }
}

/// A prompt encoder refusing a checkpoint: PEFT's error, and the tensors whose shapes caused it.
public struct PromptEncoderLoadError: Error, Hashable, Sendable {
  public var error: PythonError
  public var mismatches: [Mismatch]

  public init(_ error: PythonError, mismatches: [Mismatch] = []) {
    self.error = error
    self.mismatches = mismatches
  }
}

/// A tuner layer container (`nn.ModuleDict`, `nn.ParameterDict`, PEFT's `BufferDict`) keyed by adapter.
public struct LayerAttribute: Hashable, Sendable {
  public var name: String
  /// `.moduleDict`, `.parameterDict` or `.bufferDict(persistent:)`.
  public var container: ModuleKind
  /// Set when the layer holds a reference to the tuner model's container of that name.
  public var sharedModelAttribute: String?

  public init(_ name: String, _ container: ModuleKind, shared: String? = nil) {
    self.name = name
    self.container = container
    sharedModelAttribute = shared
  }
}

/// One thing a tuner stores for an adapter in one of a layer's containers.
public struct AdapterEntry: Hashable, Sendable {
  public enum Value: Hashable, Sendable {
    /// `ParameterDict[adapter] = nn.Parameter(…)`: key `<attr>.<adapter>`.
    case parameter(TensorInfo)
    /// `ModuleDict[adapter] = module`: keys `<attr>.<adapter>.<tensor>`.
    case module(className: String, tensors: [ModuleTensor])
    /// `BufferDict[adapter] = tensor`.
    case buffer(TensorInfo)
    /// `ModuleDict[adapter] = nn.ModuleList([...])`: keys `<attr>.<adapter>.<i>.<tensor>`.
    case moduleList(itemClassName: String, items: [[ModuleTensor]])
    /// `ModuleDict[key][adapter] = tensor`, the `BufferDict` under `key` created on first use with the given
    /// persistence (FRoD's per-category projections): keys `<attr>.<key>.<adapter>`.
    case keyedBuffer(key: String, info: TensorInfo, persistent: Bool)
  }

  public var attribute: String
  public var value: Value

  public init(_ attribute: String, _ value: Value) {
    self.attribute = attribute
    self.value = value
  }

  /// A `ParameterDict` entry of the given shape (float32, PEFT's default dtype for new adapters).
  public static func parameter(_ attribute: String, _ shape: [Int]) -> AdapterEntry {
    AdapterEntry(attribute, .parameter(TensorInfo(dtype: .f32, shape: shape)))
  }

  /// A `ModuleDict` entry holding an `nn.Linear(in, out, bias)`.
  public static func linear(_ attribute: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = false)
    -> AdapterEntry
  {
    var tensors = [ModuleTensor(name: "weight", info: TensorInfo(dtype: .f32, shape: [outFeatures, inFeatures]))]
    if bias { tensors.append(ModuleTensor(name: "bias", info: TensorInfo(dtype: .f32, shape: [outFeatures]))) }
    return AdapterEntry(attribute, .module(className: "Linear", tensors: tensors))
  }

  /// A `ModuleDict` entry holding a module with one `weight` parameter.
  public static func weightModule(_ attribute: String, className: String, _ shape: [Int]) -> AdapterEntry {
    AdapterEntry(
      attribute, .module(className: className, tensors: [ModuleTensor(name: "weight", info: TensorInfo(dtype: .f32, shape: shape))]))
  }
}

/// What a tuner creates on one module for one adapter.
public struct LayerPlan: Hashable, Sendable {
  /// The tuner layer class created when the module is not yet wrapped (`Linear`, `Embedding`).
  public var layerClassName: String
  public var entries: [AdapterEntry]
  /// Facts a layer remembers from its first adapter (IA³ `is_feedforward`, LoRA `parameter_name`).
  public var layerFacts: [String: String]
  /// Entries for the tuner model's shared containers, set when the adapter has none there yet
  /// (VeRA's projections for a later adapter, VB-LoRA's vector bank).
  public var modelEntries: [AdapterEntry]
  /// `false` when the tuner's `_create_and_replace` returns without touching a module it was given (OSF on
  /// anything but `nn.Linear`): the module stays as it is, yet counts as targeted.
  public var wraps: Bool

  public init(
    layerClassName: String, entries: [AdapterEntry], layerFacts: [String: String] = [:], modelEntries: [AdapterEntry] = [],
    wraps: Bool = true
  ) {
    self.layerClassName = layerClassName
    self.entries = entries
    self.layerFacts = layerFacts
    self.modelEntries = modelEntries
    self.wraps = wraps
  }

  /// A targeted module the tuner leaves alone.
  public static let untouched = LayerPlan(layerClassName: "", entries: [], wraps: false)
}

/// A module a config targets, as the tuner sees it.
public struct InjectionTarget: Hashable, Sendable {
  /// Its name inside the base model (`model.layers.0.self_attn.q_proj`).
  public var key: String
  /// The innermost base layer's kind.
  public var base: ModuleKind
  /// The innermost base layer's tensors (LN tuning copies them).
  public var baseTensors: [ModuleTensor]
  /// The innermost base layer's class name.
  public var baseClassName: String
  /// `repr()` of the targeted module, for PEFT's messages.
  public var repr: String
  /// `type(module)` as Python prints it (`<class 'transformers.pytorch_utils.Conv1D'>`).
  public var typeRepr: String
  /// The kind of tuner layer already wrapping the module, if any.
  public var existingLayer: PeftType?
  /// Facts the existing layer remembers.
  public var layerFacts: [String: String]
  /// The targeted parameter, for `target_parameters`.
  public var parameterName: String?
  /// The targeted parameter's shape, for `target_parameters`.
  public var parameterShape: [Int]?
  /// The tuner model's shared containers: attribute → entries by adapter name (VeRA's `vera_A`).
  public var sharedState: [String: [ModuleTensor]] = [:]

  public init(
    key: String, base: ModuleKind, baseTensors: [ModuleTensor] = [], baseClassName: String, repr: String,
    typeRepr: String, existingLayer: PeftType? = nil, layerFacts: [String: String] = [:], parameterName: String? = nil,
    parameterShape: [Int]? = nil, sharedState: [String: [ModuleTensor]] = [:]
  ) {
    self.sharedState = sharedState
    self.key = key
    self.base = base
    self.baseTensors = baseTensors
    self.baseClassName = baseClassName
    self.repr = repr
    self.typeRepr = typeRepr
    self.existingLayer = existingLayer
    self.layerFacts = layerFacts
    self.parameterName = parameterName
    self.parameterShape = parameterShape
  }
}

/// State shared across one injection: warnings emitted, and facts about the model.
public struct InjectionContext: Sendable {
  public var warnings: [PythonWarning] = []
  /// The base model's `model_type`.
  public var modelType: String
  /// The modules the adapter being injected targets, in `named_modules` order (TinyLoRA groups them).
  public var targetModuleNames: [String] = []
  /// The innermost base layer's kind of each of `targetModuleNames`.
  public var targetModuleKinds: [ModuleKind] = []
  /// The base model the adapter is injected into, as loaded (Shadow builds its backbone from it).
  public var baseModel: BaseModel?
  /// Whether BOFT's CUDA extension would load (it does not on CPU-only machines, which forces
  /// `boft_n_butterfly_factor = 1`).
  public var boftCUDAExtension: Bool

  public init(modelType: String, boftCUDAExtension: Bool = false) {
    self.modelType = modelType
    self.boftCUDAExtension = boftCUDAExtension
  }

  public mutating func warn(_ message: String, category: String = "UserWarning") {
    warnings.append(PythonWarning(category: category, message: message))
  }
}
