import TensorIO

/// What transformers itself says about one `model_type`: its classes (bare model and task heads) and
/// their module trees, as recorded from the real library by `scripts/recorders/record_model_structures.py`.
public struct ModelStructure: Sendable, Hashable {
  /// `model_type`.
  public var modelType: String
  /// The transformers release the record comes from.
  public var transformersVersion: String
  /// `tie_word_embeddings` of the default config (`nil` when the config has no such field).
  public var tieWordEmbeddingsDefault: Bool?
  /// Whether transformers registers a checkpoint conversion for the model type (PEFT 0.21 then converts
  /// LoRA checkpoints too).
  public var conversionRegistered: Bool
  /// The classes that could be built, by class name.
  public var classes: [String: ClassStructure]
  /// Classes that could not be built from their default config, with transformers' reason.
  public var skipped: [String: String]

  /// The bare model class (`MODEL_MAPPING_NAMES`).
  public var bareClass: ClassStructure? {
    classes.values.sorted { $0.name < $1.name }.first { $0.tasks.contains("base") }
  }
}

/// One model class: how it holds its backbone and heads, and every module that owns a tensor.
public struct ClassStructure: Sendable, Hashable {
  public var name: String
  /// The auto-class tasks the class serves (`base`, `causal-lm`, `sequence-classification`, …).
  public var tasks: [String]
  /// `base_model_prefix`.
  public var basePrefix: String
  /// Whether the class holds its backbone as the child named ``basePrefix`` (head classes do; bare
  /// classes and some composite models do not).
  public var holdsBackbone: Bool
  /// `can_generate()`.
  public var canGenerate: Bool
  /// Whether instances have `prepare_inputs_for_generation`, which `PeftModelForCausalLM` reads.
  public var hasPrepareInputs: Bool
  /// The module path `get_input_embeddings()` / `get_output_embeddings()` return.
  public var inputEmbedding: String?
  public var outputEmbedding: String?
  /// `_tied_weights_keys` as transformers expands it when `tie_word_embeddings` is on: target → source,
  /// layer indices as `*`.
  public var tiedWeights: [(target: String, source: String)]
  /// `_keys_to_ignore_on_load_unexpected` / `_keys_to_ignore_on_load_missing` (Python regexes).
  public var ignoreOnLoadUnexpected: [String]
  public var ignoreOnLoadMissing: [String]
  /// The checkpoint conversion transformers applies on load for this class
  /// (`get_model_conversion_mapping` without the legacy renamings common to every model).
  public var conversion: [WeightTransform]
  /// The Python module the class is defined in (`transformers.models.falcon.modeling_falcon`).
  public var pythonModule: String
  /// Every module that owns or leads to a state-dict tensor, by path pattern (`h.*.mlp`), the
  /// backbone's included.
  public var modules: [String: ModuleRecord]

  public static func == (lhs: ClassStructure, rhs: ClassStructure) -> Bool {
    lhs.name == rhs.name && lhs.pythonModule == rhs.pythonModule && lhs.modules == rhs.modules
  }
  public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// A module as the recorded class registers it.
public struct ModuleRecord: Sendable, Hashable {
  /// What PEFT's layer dispatch sees (`isinstance` against torch and transformers classes).
  public enum LayerKind: String, Sendable, Hashable {
    case linear, conv1d, embedding, conv, layernorm
    /// Anything else: a container, a norm of the model's own class, a custom parameter holder.
    case other = ""
  }

  public var kind: LayerKind
  /// The class, `nn.Linear`-style for torch's own, `~Name` for the model's modeling module, else qualified.
  public var className: String
  /// Own tensors in registration order (state-dict tensors only).
  public var tensors: [String]
  /// Own buffers registered with `persistent=False` (never in a state dict).
  public var nonPersistentBuffers: [String]
  /// Children that hold tensors, in registration order (`*` for a `ModuleList`'s items).
  public var children: [String]

  /// `h.12.mlp` → `h.*.mlp`.
  public static func pattern(of path: String) -> String {
    guard path.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) else { return path }
    return path.split(separator: ".", omittingEmptySubsequences: false)
      .map { part in !part.isEmpty && part.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } ? "*" : String(part) }
      .joined(separator: ".")
  }

  /// The bare class name (`FalconLinear`, `Linear`).
  public var shortClassName: String {
    // The last non-empty dotted part, found without splitting the rest (asked for every module of a model).
    var head = className[...]
    while head.hasSuffix(".") { head = head.dropLast() }
    var last = head.lastIndex(of: ".").map { head[head.index(after: $0)...] } ?? head
    if last.hasPrefix("~") { last = last.dropFirst() }
    return String(last)
  }

  /// The fully qualified Python class, as `type(module)` prints it.
  public func qualifiedClassName(module pythonModule: String) -> String {
    // Strings throughout: a `Substring` appended to a `String` went through the generic `append(contentsOf:)`,
    // instantiated at run time on every check (a protocol-conformance scan of the whole executable).
    if className.hasPrefix("~") { return pythonModule + "." + String(className.dropFirst()) }
    if className.hasPrefix("nn.") {
      let name = String(className.dropFirst(3))
      return "torch.nn.modules." + (Self.torchModules[name] ?? "module") + "." + name
    }
    return className
  }

  /// The `torch.nn.modules` submodule of torch's own classes.
  private static let torchModules = [
    "Linear": "linear", "Embedding": "sparse", "LayerNorm": "normalization", "RMSNorm": "normalization",
    "Conv1d": "conv", "Conv2d": "conv", "Conv3d": "conv", "ModuleList": "container", "ModuleDict": "container",
    "Sequential": "container",
  ]
}

/// One step of transformers 5's checkpoint conversion (`WeightRenaming`, `WeightConverter`, `PrefixChange`).
public struct WeightTransform: Sendable, Hashable {
  public var operation: String
  public var sourcePatterns: [String]
  public var targetPatterns: [String]
  public var prefixToAdd: String?
  public var prefixToRemove: String?
  public var modelPrefix: String?
  /// The alternation transformers compiles from the source patterns, and the replacement it substitutes.
  public var regex: String?
  public var replacement: String?
  /// Group number of each branch (`g0`, `g1`, …) of ``regex``.
  public var groups: [String: Int]
  /// `scope_prefix` of a sub-model's transform.
  public var scope: String?
}
