import TensorIO

/// An adapter to load: its decoded config and its checkpoint's names, dtypes and shapes.
public struct AdapterSource: Sendable, Hashable {
  public var config: AdapterConfig
  /// The checkpoint in file order (`adapter_model.safetensors` / `.h5`).
  public var checkpoint: StateDict
  /// What the user passed as `model_id` (a folder), for messages.
  public var path: String

  public init(config: AdapterConfig, checkpoint: StateDict, path: String = "adapter") {
    self.config = config
    self.checkpoint = checkpoint
    self.path = path
  }

  /// From a checkpoint reader's table.
  public init(config: AdapterConfig, tensors: TensorTable, path: String = "adapter") {
    self.init(config: config, checkpoint: StateDict(tensors), path: path)
  }

  /// From an adapter folder as read: its `adapter_config.json` (decoded here, errors naming
  /// `configPath`) and its weights table. Every reader of adapter folders builds its input this way.
  public init(configJSON: JSONObject, configPath: String, tensors: TensorTable, path: String) throws(AdapterConfigError) {
    self.init(config: try AdapterConfig(json: configJSON, source: configPath), tensors: tensors, path: path)
  }
}

/// An adapter already in the model before the load being simulated.
public struct LoadedAdapter: Sendable, Hashable {
  public var name: String
  public var source: AdapterSource
  public init(name: String, source: AdapterSource) {
    self.name = name
    self.source = source
  }
}

/// How the load is performed: the calling convention, the adapter name, adapters already loaded, and
/// the keyword arguments that change the result.
public struct LoadContext: Sendable, Hashable {
  /// The name the adapter is loaded under (`adapter_name`).
  public var adapterName: String
  /// `from_pretrained`, `load_adapter` or transformers' `auto_from_pretrained`.
  public var call: LoadCall
  /// For `auto_from_pretrained`: what the adapter config names as the base to build.
  public var baseReference: BaseReference = .base
  /// For `load_adapter`: the adapters the model already holds, in load order (the first one is the
  /// `from_pretrained` adapter).
  public var loaded: [LoadedAdapter]
  public var ignoreMismatchedSizes: Bool
  public var lowCPUMemUsage: Bool
  public var injection: InjectionOptions
  /// transformers 5 warns (`FutureWarning`) that `is_gradient_checkpointing` is deprecated every time a
  /// `PeftModel` is constructed; PEFT profiles reproduce it.
  public var gradientCheckpointingDeprecation: Bool
  /// Load copies of the configs reduced to the fields the profile's PEFT release knows, silently (the
  /// driver's `ADAPTEST_PEFT_STRIP_UNKNOWN_CONFIG_FIELDS=1`): shows an old release's key semantics on
  /// configs it would refuse.
  public var stripsUnknownConfigFields = false

  public init(
    adapterName: String = "default", call: LoadCall? = nil, loaded: [LoadedAdapter] = [],
    ignoreMismatchedSizes: Bool = false, lowCPUMemUsage: Bool = false, injection: InjectionOptions = .init(),
    gradientCheckpointingDeprecation: Bool = true
  ) {
    self.adapterName = adapterName
    self.call = call ?? (loaded.isEmpty ? .fromPretrained : .loadAdapter)
    self.loaded = loaded
    self.ignoreMismatchedSizes = ignoreMismatchedSizes
    self.lowCPUMemUsage = lowCPUMemUsage
    self.injection = injection
    self.gradientCheckpointingDeprecation = gradientCheckpointingDeprecation
  }
}
