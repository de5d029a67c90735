/// The names a case may use — architectures, tuners, mutations with their parameters, error kinds,
/// diagnostic codes, warning categories — so that the linter can reject typos with a suggestion.
///
/// ``standard`` mirrors the catalogs of the `Synthesis` and `AdapterLoading` modules; a different
/// vocabulary can be passed to the decoder (in tests, or once those catalogs are wired in).
public struct CaseVocabulary: Sendable {
  public var architectures: [String]
  public var tuners: [String]
  public var baseMutations: [MutationSchema]
  public var adapterMutations: [MutationSchema]
  public var errorKinds: [ErrorKind]
  public var formatErrors: [String]
  public var diagnosticCodes: [String]
  public var warningCategories: [String]

  public init(
    architectures: [String], tuners: [String], baseMutations: [MutationSchema], adapterMutations: [MutationSchema],
    errorKinds: [ErrorKind] = ErrorKind.known, formatErrors: [String], diagnosticCodes: [String],
    warningCategories: [String]
  ) {
    self.architectures = architectures
    self.tuners = tuners
    self.baseMutations = baseMutations
    self.adapterMutations = adapterMutations
    self.errorKinds = errorKinds
    self.formatErrors = formatErrors
    self.diagnosticCodes = diagnosticCodes
    self.warningCategories = warningCategories
  }
}

/// A mutation's name and the parameters it takes.
public struct MutationSchema: Sendable, Hashable {
  public var name: String
  public var parameters: [Parameter]
  /// Groups of parameters of which exactly one must be given (`drop_keys`: `keys` or `match`).
  public var oneOf: [[String]]

  public init(_ name: String, _ parameters: [Parameter] = [], oneOf: [[String]] = []) {
    self.name = name
    self.parameters = parameters
    self.oneOf = oneOf
  }

  public struct Parameter: Sendable, Hashable {
    public var name: String
    public var type: ParameterType
    public var required: Bool

    public init(_ name: String, _ type: ParameterType, required: Bool = false) {
      self.name = name
      self.type = type
      self.required = required
    }
  }

  public enum ParameterType: String, Sendable, Hashable {
    case int = "an integer"
    case positiveInt = "a positive integer"
    case string = "a string"
    case bool = "true or false"
    case stringList = "a list of strings"
    case intList = "a list of integers"
    case dtype = "a dtype name (F32, F16, BF16, …)"
    case architecture = "an architecture name"
  }
}

extension CaseVocabulary {
  /// The vocabulary of the current catalogs.
  public static let standard = CaseVocabulary(
    architectures: ["bert", "gemma", "gpt2", "llama", "mistral", "mixtral", "phi3", "qwen2", "qwen3_moe", "t5"],
    tuners: [
      "ADALORA", "BEFT", "BOFT", "C3A", "CARTRIDGE", "CPT", "DEFT", "DELORA", "FOURIERFT", "GLORA", "GRALORA", "HIRA",
      "HRA", "IA3", "LILY", "LN_TUNING", "LOHA", "LOKR", "LORA", "MISS", "MULTITASK_PROMPT_TUNING", "OFT", "OSF", "PEANUT",
      "POLY", "PREFIX_TUNING", "PROMPT_TUNING",
      "PSOFT", "PVERA", "P_TUNING", "RANDLORA", "ROAD", "SHIRA", "SUPERTUNING", "TRAINABLE_TOKENS", "UNILORA", "VBLORA", "VERA", "WAVEFT",
    ],
    baseMutations: [
      MutationSchema("resize_vocab", [.init("to", .positiveInt, required: true), .init("pad_to_multiple_of", .positiveInt)]),
      MutationSchema("hidden_size", [.init("to", .positiveInt, required: true)]),
      MutationSchema("intermediate_size", [.init("to", .positiveInt, required: true)]),
      MutationSchema("num_layers", [.init("to", .positiveInt, required: true)]),
      MutationSchema("num_heads", [.init("to", .positiveInt, required: true), .init("kv", .positiveInt)]),
      MutationSchema("tie_embeddings"),
      MutationSchema("untie_embeddings"),
      MutationSchema("rename_modules", [.init("from", .string, required: true), .init("to", .string, required: true)]),
      MutationSchema("swap_architecture", [.init("to", .architecture, required: true)]),
      MutationSchema("dtype", [.init("to", .dtype, required: true)]),
      MutationSchema("shard", [.init("files", .positiveInt, required: true)]),
    ],
    adapterMutations: [
      MutationSchema("drop_keys", [.init("keys", .stringList), .init("match", .string)], oneOf: [["keys", "match"]]),
      MutationSchema(
        "add_key", [.init("name", .string, required: true), .init("shape", .intList, required: true), .init("dtype", .dtype)]),
      MutationSchema("wrong_rank", [.init("r", .positiveInt, required: true), .init("modules", .stringList)]),
      MutationSchema("keep_adapter_name", [.init("name", .string)]),
      MutationSchema("strip_prefix"),
      MutationSchema("dtype", [.init("to", .dtype, required: true)]),
      MutationSchema("save_embeddings", [.init("vocab", .positiveInt, required: true)]),
      MutationSchema("transpose_factors"),
    ],
    formatErrors: [
      // safetensors: the Rust reference's `SafeTensorError` variants in lower camel case, as the
      // SafeTensors module's `kind` names them, plus the strict reader's duplicate checks.
      "headerTooSmall", "headerTooLarge", "invalidHeaderLength", "invalidHeader", "invalidHeaderDeserialization",
      "invalidOffset", "validationOverflow", "misalignedSlice", "tensorInvalidInfo", "metadataIncompleteBuffer",
      "invalidTensorView", "duplicateKey", "duplicateMetadataKey",
      // HDF5: the HDF5Checkpoint module's error kinds.
      "not-hdf5", "corrupt-file", "not-adaptest-layout", "unsupported-version", "invalid-layout", "unknown-dtype",
      "dtype-mismatch", "shape-mismatch", "unreadable-dataset", "tensor-not-found", "name-collision", "invalid-tensor",
      "payload-size-mismatch", "allocation-failed", "library",
    ],
    diagnosticCodes: [
      "adapter-key-missing", "checkpoint-key-unexpected", "shape-mismatch", "target-not-found",
      "embedding-size-mismatch", "base-drift-ignored", "shared-weights-regenerated", "adapter-name-collision",
      "base-weight-in-checkpoint", "dtype-cast", "format-error", "load-error", "unknown-config-fields",
      "architecture-inferred",
    ],
    warningCategories: ["UserWarning", "PeftWarning", "FutureWarning", "DeprecationWarning", "RuntimeWarning"]
  )

  func baseMutation(_ name: String) -> MutationSchema? { baseMutations.first { $0.name == name } }
  func adapterMutation(_ name: String) -> MutationSchema? { adapterMutations.first { $0.name == name } }
}
