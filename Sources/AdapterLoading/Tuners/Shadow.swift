import TensorIO

/// ShadowPEFT (`peft.tuners.shadow`, PEFT 0.21): whole decoder blocks wrapped in a `ShadowLayer`, and a
/// separate *shadow backbone* on the tuner model, saved with the adapter.
///
/// What PEFT 0.21.2 creates at injection, for `shadow_model: "mirror"` (the default):
///
/// - `_prepare_adapter_config`: without `target_modules`, every block of the base's decoder stack
///   (`_get_backbone`: the first of the attributes `model`, `transformer`, `base_model` (the
///   `base_model_prefix` module, else the model), `decoder` that exists — one level deeper when it holds
///   a `decoder` with a layer stack; `_get_decoder_layers`: its `layers`, `h`, `single_transformer_blocks`
///   or `transformer_blocks`), as `{"<backbone>.<stack>.<i>"}`.
/// - `_create_and_replace`, at an adapter's first target, `_init_shadow_backbone`:
///   `_build_shadow_backbone` deep-copies the backbone's config, sets its depth
///   (`num_hidden_layers`/`n_layer`/`num_layers`) to `shadow_num_hidden_layers or 1`, its width, feed-forward
///   width and heads to `shadow_hidden_size`, `shadow_intermediate_size`, `shadow_num_attention_heads` when
///   given (an `AttributeError` when the config has none of the names), truncates or pads `layer_types` and
///   caps `max_window_layers` (`_normalize_layer_config`), and builds the backbone's own class from it. Its
///   `embed_tokens` is dropped when the backbone shares the base's embeddings (`share_embeddings`, a
///   mirror, widths equal, a `forward` taking `inputs_embeds` — recorded per backbone; other embeddings such
///   as GPT-2's `wte`/`wpe` stay). A `Linear(shadow, base,
///   bias=False)` goes to `shadow_projection.<name>` when the widths differ (else an `Identity`), and for
///   `SEQ_CLS` a copy of the base's `score`/`classifier` to `shadow_head.<name>`. The three `ModuleDict`s
///   are registered on the tuner model after `model`, so their keys are
///   `base_model.shadow_backbone.<name>.<backbone key>`, after every key of the model.
/// - `ShadowLayer.update_layer` on each targeted module, with `d` the base's `hidden_size` (`n_embd`,
///   `d_model`): `shadow_down` `Linear(d, r)` and `shadow_up` `Linear(r, d)` without bias, a parameter-free
///   `shadow_dropout`, and `shadow_update_transform` and `shadow_update_gate`, each a
///   `Sequential(Linear(d, u), GELU, Linear(u, d))` (`0.weight`, `0.bias`, `2.weight`, `2.bias`;
///   `u = update_hidden_size or r`). `r <= 0` is a `ValueError`. Any module can be wrapped.
/// - `_remove_adapter_name_from_key`: a key holding `<container>.<name>.` for one of the seven containers
///   is saved with `<container>.default.` (the adapter name sits in the middle of the key), so a Shadow
///   checkpoint always says `default`; `set_peft_model_state_dict` maps it back through the same function.
///   What the model lacks is torch's unexpected keys, a shape it has otherwise is torch's size-mismatch
///   `RuntimeError` (a base of another width rebuilds both the blocks' modules and the backbone at its width).
/// - `_check_new_adapter_config`: more than one adapter while any is `SEQ_CLS` is a `ValueError`.
///
/// The backbone's tensors are the loading base's own: its recorded backbone class with the first
/// `shadow_num_hidden_layers` of the base's decoder layers, their names and shapes as the base holds
/// them. That is the mirror exactly when the shrunk config builds the same layers: the depth is the
/// base's (unless recorded otherwise), or PEFT's own mirror of a tiny base of that model type and backbone
/// class was recorded to be the base's first layers (``mirrorTable``); a mirror deeper than the base repeats
/// its layer where PEFT's deeper mirror was recorded to repeat it and the base's layers are all alike.
/// Everything else — another width or head count, another depth of an architecture not recorded so, an
/// architecture not recorded, a stack PEFT does not find, a classification head's copy, any `shadow_model`
/// but `"mirror"` (a model id or path PEFT loads from outside the adapter) — is "cannot tell",
/// saying why.
public struct ShadowTuner: Tuner {
  public init() {}
  public var peftType: PeftType { PeftType("SHADOW") }
  public var configClassName: String { "ShadowConfig" }
  public var modelClassName: String { "ShadowModel" }
  public var configFields: Set<String> {
    commonConfigFields.union([
      "target_modules", "exclude_modules", "r", "shadow_alpha", "shadow_dropout", "init_weights", "shadow_model",
      "shadow_num_hidden_layers", "shadow_hidden_size", "shadow_num_attention_heads", "shadow_intermediate_size",
      "share_embeddings", "update_hidden_size", "auxiliary_loss_weight", "layers_to_transform", "layers_pattern",
      "modules_to_save",
    ])
  }

  /// `ShadowLayer`'s containers in `__init__` order.
  public var layerAttributes: [LayerAttribute] {
    ["shadow_down", "shadow_up", "shadow_dropout", "shadow_update_transform", "shadow_update_gate"].map {
      LayerAttribute($0, .moduleDict)
    }
  }

  /// `_ensure_shadow_containers`, run by `_pre_injection_hook`.
  public func modelAttributes(_ config: AdapterConfig) -> [LayerAttribute] {
    ["shadow_backbone", "shadow_projection", "shadow_head"].map { LayerAttribute($0, .moduleDict) }
  }

  /// The containers whose adapter name `_remove_adapter_name_from_key` canonicalizes to `default`.
  static let adapterContainers = [
    "shadow_backbone", "shadow_projection", "shadow_head", "shadow_down", "shadow_up", "shadow_update_transform",
    "shadow_update_gate",
  ]

  /// How PEFT's mirror of one architecture relates to the base's own layers, as recorded from PEFT and
  /// transformers (``mirrorTable``, `scripts/recorders/record_shadow_mirrors.py`): each field `nil` where the
  /// mirror PEFT built was the base's, else the first difference it showed.
  struct MirrorRecord: Sendable, Hashable {
    /// A mirror as deep as the base: the base's backbone.
    var sameDepth: String?
    /// A shallower mirror: the base's backbone with its first layers only.
    var firstLayers: String?
    /// A deeper mirror: the base's backbone with its layer 0 repeated after its own layers.
    var repeatsLayers: String?
    /// Whether `_init_shadow_backbone` drops the backbone's `embed_tokens` to share the base's
    /// (`share_embeddings`, equal widths, and a backbone whose `forward` takes `inputs_embeds`); `nil` when
    /// the classes recorded with this backbone disagreed.
    var dropsEmbeddings: Bool?
  }

  /// `_prepare_adapter_config`: every block of the decoder stack when `target_modules` is unset.
  public func defaultTargetModules(for base: BaseModel) throws(PythonError) -> TargetModules? {
    let stack = try Self.decoderStack(base)
    return .names(stack.layers.indices.map { "\(stack.path).\($0)" })
  }

  public func validate(_ config: AdapterConfig, warnings: inout [PythonWarning]) throws(PythonError) {
    try TunerSupport.checkRegexTargets(config)
    if config.layersPattern != nil && config.layersToTransform == nil {
      throw .valueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified.")
    }
    if try TunerSupport.string(config, "shadow_model", default: "mirror") != "mirror" {
      let overrides = ["shadow_num_hidden_layers", "shadow_hidden_size", "shadow_num_attention_heads", "shadow_intermediate_size"]
      let configured = overrides.filter { !(config.json[$0]?.isNull ?? true) }
      if !configured.isEmpty {
        throw .valueError(
          "Explicit `shadow_model` checkpoints define their architecture; unset these mirror-only overrides: "
            + configured.joined(separator: ", ") + ".")
      }
    }
  }

  /// `_check_new_adapter_config`.
  public func checkNewAdapter(_ config: AdapterConfig, existing: [NamedAdapter]) throws(PythonError) {
    if (existing.map(\.config) + [config]).contains(where: { $0.taskType == "SEQ_CLS" }) {
      throw .valueError(
        "ShadowPEFT does not support multiple adapters when any adapter uses sequence classification because the "
          + "sequence classification adapter requires both a classifier in `modules_to_save` and a separate `shadow_head`.")
    }
  }

  public func plan(_ target: InjectionTarget, config: inout AdapterConfig, adapterName: String, context: inout InjectionContext)
    throws(PythonError) -> LayerPlan
  {
    guard let base = context.baseModel else { throw .notSimulated("Shadow needs the base model to build its backbone") }
    // `_init_shadow_backbone` runs at the adapter's first target, before the layer is created.
    let backbone = try initShadowBackbone(config, base: base)
    let d = try Self.hiddenSize(base.config)
    let r = config.r ?? 8
    try TunerSupport.positiveRank(r)
    let u = try TunerSupport.int(config, "update_hidden_size", default: 0)
    let update = u == 0 ? r : u
    if update < 0 {
      // `nn.Linear(d, u)` with a negative `u`: torch refuses the weight's shape.
      throw .runtimeError("Trying to create tensor with negative dimension \(update): [\(update), \(d)]")
    }
    return LayerPlan(
      layerClassName: "ShadowLayer",
      entries: [
        .linear("shadow_down", in: d, out: r), .linear("shadow_up", in: r, out: d),
        AdapterEntry("shadow_dropout", .module(className: (config.json["shadow_dropout"]?.doubleValue ?? 0.2) == 0 ? "Identity" : "Dropout", tensors: [])),
        Self.updateMLP("shadow_update_transform", d: d, u: update), Self.updateMLP("shadow_update_gate", d: d, u: update),
      ],
      modelEntries: [AdapterEntry("shadow_backbone", .module(className: backbone.className, tensors: backbone.tensors))])
  }

  /// `_remove_adapter_name_from_key`: the name in the middle of a container's key becomes `default`.
  public func checkpointKey(forModelKey key: String, adapterName: String) -> String {
    for container in Self.adapterContainers {
      let marker = "\(container).\(adapterName)."
      if key.containsText(marker) { return key.replacingText(marker, with: "\(container).default.") }
    }
    return removeAdapterName(from: key, adapterName: adapterName)
  }

  /// `Sequential(Linear(d, u), GELU(), Linear(u, d))`.
  static func updateMLP(_ attribute: String, d: Int, u: Int) -> AdapterEntry {
    let f32 = TunerSupport.f32
    return AdapterEntry(
      attribute,
      .module(
        className: "Sequential",
        tensors: [
          ModuleTensor(name: "0.weight", info: f32([u, d])), ModuleTensor(name: "0.bias", info: f32([u])),
          ModuleTensor(name: "2.weight", info: f32([d, u])), ModuleTensor(name: "2.bias", info: f32([d])),
        ]))
  }
}

// MARK: The mirrored backbone

extension ShadowTuner {
  /// The backbone `_init_shadow_backbone` registers for an adapter: class and state dict.
  struct Backbone: Hashable, Sendable {
    var className: String
    var tensors: [ModuleTensor]
  }

  /// The decoder stack `_get_backbone` / `_get_decoder_layers` find in the base.
  struct DecoderStack {
    /// The backbone module's path in the base (`model`, `transformer`, `""` for a bare model).
    var backbonePath: String
    var backboneNode: Int
    /// The stack attribute (`layers`, `h`).
    var attribute: String
    /// `<backbone>.<attribute>`.
    var path: String { backbonePath.isEmpty ? attribute : backbonePath + "." + attribute }
    /// The stack's blocks in index order.
    var layers: [Int]
  }

  static let stackAttributes = ["layers", "h", "single_transformer_blocks", "transformer_blocks"]

  /// `_get_backbone`: the module holding the decoder stack.
  static func backbone(_ base: BaseModel) -> (path: String, node: Int) {
    let tree = base.tree
    let root = tree.root
    func hasStack(_ node: Int) -> Bool { stackAttributes.contains { tree[node].child($0) != nil } }
    for attribute in ["model", "transformer", "base_model", "decoder"] {
      var path = attribute
      var node = tree[root].child(attribute)
      // `PreTrainedModel.base_model`: the `base_model_prefix` module, or the model itself.
      if attribute == "base_model" && node == nil {
        let prefix = base.architecture.baseModelPrefix
        if let held = tree[root].child(prefix) {
          (path, node) = (prefix, held)
        } else {
          (path, node) = ("", root)
        }
      }
      guard let node else { continue }
      if let nested = tree[node].child("decoder"), hasStack(nested) {
        return (path.isEmpty ? "decoder" : path + ".decoder", nested)
      }
      return (path, node)
    }
    return ("", root)
  }

  /// `_get_decoder_layers` on the backbone, or PEFT's `AttributeError`.
  static func decoderStack(_ base: BaseModel) throws(PythonError) -> DecoderStack {
    let (path, node) = backbone(base)
    for attribute in stackAttributes {
      guard let stack = base.tree[node].child(attribute) else { continue }
      let layers = base.tree[stack].children.compactMap { child in Int(child.name).map { ($0, child.node) } }
        .sorted { $0.0 < $1.0 }.map(\.1)
      return DecoderStack(backbonePath: path, backboneNode: node, attribute: attribute, layers: layers)
    }
    throw PythonError(
      kind: "AttributeError",
      message: "Unable to automatically find a `nn.ModuleList` of decoder layers (expected `.layers`/`.h`) inside the "
        + "backbone (required when `target_modules` is not set). Please set `target_modules` explicitly to the decoder "
        + "blocks you want to wrap, e.g. `r'.*\\.layers\\.\\d+$'`.")
  }

  /// `_get_hidden_size`: `hidden_size`, `n_embd` or `d_model` (heads × `attention_head_dim` for Diffusers).
  static func hiddenSize(_ config: JSONObject) throws(PythonError) -> Int {
    for field in ["hidden_size", "n_embd", "d_model"] {
      if let value = config[field]?.intValue { return value }
    }
    if let heads = config["num_attention_heads"]?.intValue, let dim = config["attention_head_dim"]?.intValue {
      return heads * dim
    }
    throw PythonError(kind: "AttributeError", message: "Unable to infer the hidden size from the model config.")
  }

  /// Why a mirror is not predicted: the "cannot tell" answer.
  static func cannotTell(_ config: AdapterConfig, _ why: String) -> PythonError {
    .notSimulated(
      "\(config.source): ShadowPEFT's mirrored backbone (`shadow_model` \"mirror\") \(why); Adaptest derives the "
        + "backbone from the loading base's own layers only where the shrunk config builds them unchanged")
  }

  /// Whether a mirror of `layers` layers is the base's own layers: at the base's depth unless recorded
  /// otherwise, at another depth where recorded so (``mirrorTable``); else "cannot tell" with the recorded
  /// difference.
  static func checkRecordedMirror(_ config: AdapterConfig, base: BaseModel, stack: DecoderStack, layers: Int)
    throws(PythonError)
  {
    let modelType = base.architecture.modelType
    let className = base.tree[stack.backboneNode].className
    let record = mirrorTable[modelType]?[className]
    guard layers != stack.layers.count else {
      // The base's own config, so the base's backbone, but where the recording shows otherwise.
      if let why = record?.sameDepth {
        throw cannotTell(config, "is as deep as the base, and a recorded \(modelType) mirror of its base's depth is not that base's backbone: \(why)")
      }
      return
    }
    let depth = "has \(layers) layers where the base has \(stack.layers.count)"
    guard let record else {
      if let refusal = mirrorRefusals[modelType] {
        throw cannotTell(config, "\(depth), and PEFT refused to mirror a tiny \(modelType) base (\(refusal))")
      }
      throw cannotTell(config, "\(depth), and how a \(modelType) mirror (\(className)) of another depth relates to the base's layers is not recorded")
    }
    let recorded = "a recorded \(modelType) mirror of \(layers < stack.layers.count ? "fewer" : "more") layers"
    if let why = record.sameDepth ?? (layers < stack.layers.count ? record.firstLayers : record.repeatsLayers) {
      throw cannotTell(config, "\(depth), and \(recorded) is not the base's layers: \(why)")
    }
    guard layers > stack.layers.count else { return }
    // The recording is of the model type's default config; layers that differ from one another here (an
    // index-dependent field set otherwise) leave the layer a deeper mirror adds open.
    let shapes = stack.layers.map { node in base.tree.stateDict(from: node).entries.map { "\($0.key) \($0.info.shape)" } }
    if stack.layers.isEmpty || shapes.contains(where: { $0 != shapes[0] }) {
      throw cannotTell(config, "\(depth), and the base's own layers are not all alike, so which one the further layers repeat is not recorded")
    }
  }

  /// `_init_shadow_backbone` → `_build_shadow_backbone` for a mirror, then the embeddings' sharing, the
  /// projection and the head.
  func initShadowBackbone(_ config: AdapterConfig, base: BaseModel) throws(PythonError) -> Backbone {
    let shadowModel = try TunerSupport.string(config, "shadow_model", default: "mirror")
    guard shadowModel == "mirror" else {
      throw .notSimulated(
        "\(config.source): `shadow_model` is \(pythonRepr(shadowModel)), a model id or path PEFT loads the shadow backbone "
          + "from whenever it builds the model (`AutoModel.from_pretrained`, or a projected shadow checkpoint): what it "
          + "holds where the load runs is outside the adapter (offline and not cached, transformers raises `OSError`)")
    }
    let root = base.tree[base.tree.root]
    if root.child("single_transformer_blocks") != nil || (root.child("transformer_blocks") != nil && root.child("layers") == nil) {
      throw Self.cannotTell(config, "of a Diffusers transformer comes from PEFT's diffusion backends, which are not modelled")
    }
    guard base.architecture.isRecorded, !base.architecture.provenance.isInferred else {
      throw Self.cannotTell(
        config, "is a fresh \(base.architecture.modelType) backbone built from the base's config, and that architecture's "
          + "structure is inferred from its checkpoint, not recorded from transformers")
    }
    let stack: DecoderStack
    do { stack = try Self.decoderStack(base) } catch {
      throw Self.cannotTell(config, "is a fresh copy of a backbone without a `layers`/`h` decoder stack")
    }
    let depthFields = ["num_hidden_layers", "n_layer", "num_layers"]
    guard depthFields.contains(where: { base.config[$0]?.intValue != nil }) else {
      throw Self.cannotTell(config, "sets the depth in a config that has none of \(depthFields.joined(separator: ", "))")
    }
    // `_set_config_attr` for a width override: a value equal to the base's changes nothing.
    let overrides: [(field: String, names: [String])] = [
      ("shadow_hidden_size", ["hidden_size", "n_embd", "d_model"]),
      ("shadow_intermediate_size", ["intermediate_size", "ffn_dim", "n_inner"]),
      ("shadow_num_attention_heads", ["num_attention_heads", "n_head", "num_heads"]),
    ]
    for (field, names) in overrides {
      guard let value = config.json[field], !value.isNull else { continue }
      let current = names.lazy.compactMap { base.config[$0]?.intValue }.first
      guard let requested = value.intValue, requested == current else {
        throw Self.cannotTell(
          config, "is built with `\(field)` \(value.intValue.map(String.init) ?? value.typeName) where the base has \(current.map(String.init) ?? "no value"): its "
            + "tensors' shapes at that size come from transformers' \(base.tree[stack.backboneNode].className) code, which Adaptest does not evaluate")
      }
    }
    let depth = try TunerSupport.int(config, "shadow_num_hidden_layers", default: 0)
    let layers = depth == 0 ? 1 : depth
    guard layers >= 1 else { throw Self.cannotTell(config, "is built with `shadow_num_hidden_layers` \(layers)") }
    try Self.checkRecordedMirror(config, base: base, stack: stack, layers: layers)
    if config.taskType == "SEQ_CLS", root.child("score") != nil || root.child("classifier") != nil {
      throw Self.cannotTell(config, "comes with a copy of the classification head (`shadow_head`), which is not modelled")
    }
    // Widths are the base's, so the backbone shares the base's embeddings (`_remove_embed_tokens`) where
    // PEFT was recorded to drop them: it checks that the backbone's `forward` takes `inputs_embeds`.
    var dropsEmbeddings = false
    if try TunerSupport.bool(config, "share_embeddings", default: true),
      base.tree[stack.backboneNode].child("embed_tokens") != nil
    {
      let className = base.tree[stack.backboneNode].className
      guard let recorded = Self.mirrorTable[base.architecture.modelType]?[className]?.dropsEmbeddings else {
        throw Self.cannotTell(
          config, "shares the base's `embed_tokens` only if \(className).forward takes `inputs_embeds`, which is not "
            + "recorded for \(base.architecture.modelType)")
      }
      dropsEmbeddings = recorded
    }
    var tensors: [ModuleTensor] = []
    let dropped = (dropsEmbeddings ? ["embed_tokens."] : []) + stack.layers.indices.dropFirst(layers).map { "\(stack.attribute).\($0)." }
    let stackPrefix = stack.attribute + "."
    let firstLayer = stackPrefix + "0."
    var firstLayerTensors: [ModuleTensor] = []
    var extraLayersAdded = layers <= stack.layers.count
    // A mirror deeper than the base: its further layers, as the base's own (uniform) layer, after the stack's.
    func addExtraLayers() {
      for index in stack.layers.count..<layers {
        tensors += firstLayerTensors.map { ModuleTensor(name: "\(stackPrefix)\(index).\($0.name)", info: $0.info) }
      }
      extraLayersAdded = true
    }
    for entry in base.tree.stateDict(from: stack.backboneNode).entries
    where !dropped.contains(where: { entry.key.hasPrefix($0) }) {
      if entry.key.hasPrefix(firstLayer) {
        firstLayerTensors.append(ModuleTensor(name: String(entry.key.dropFirst(firstLayer.count)), info: entry.info))
      }
      if !extraLayersAdded, !entry.key.hasPrefix(stackPrefix), tensors.last?.name.hasPrefix(stackPrefix) == true {
        addExtraLayers()
      }
      tensors.append(ModuleTensor(name: entry.key, info: entry.info))
    }
    if !extraLayersAdded { addExtraLayers() }
    return Backbone(className: base.tree[stack.backboneNode].className, tensors: tensors)
  }
}
