import TensorIO

/// One tensor of an adapter as PEFT saves it, with what the rule table needs to know about it.
public struct AdapterTensor: Sendable, Hashable, CustomStringConvertible {
  /// What it is, for the rules that single out embeddings and shared weights.
  public enum Role: String, Sendable, Hashable {
    /// A per-module adapter weight (`lora_A`, `hada_w1_a`, `vera_lambda_b`, …).
    case adapter
    /// An adapter weight whose shape follows the vocabulary (`lora_embedding_A`, `lm_head`'s `lora_B`,
    /// trainable-token deltas).
    case vocabulary
    /// A model-level shared weight (`base_model.vera_A`, `base_model.vblora_vector_bank`).
    case shared
    /// A base-model weight saved with the adapter (`modules_to_save`, embeddings of a resized vocab).
    case baseWeight
    /// Saved with the adapter but taken by the tuner before torch loads, never a model parameter
    /// (SHiRA's `shira_indices`): its absence is not a missing key.
    case tunerState
  }

  /// Checkpoint name (`base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight`).
  public var name: String
  public var shape: [Int]
  public var role: Role
  /// Where the adapter name goes in the model's key: the number of trailing name components
  /// before which ``adapterNameInfix`` is inserted (1 for `lora_A.weight` → `lora_A.<name>.weight`,
  /// 0 for bare parameters such as `vera_lambda_b` → `vera_lambda_b.<name>`).
  public var adapterNameDepth: Int
  /// What is inserted, `{name}` standing for the adapter name: `{name}` for tuner parameters,
  /// `modules_to_save.{name}` for a `modules_to_save` copy.
  public var adapterNameInfix: String

  /// The stored dtype as PEFT saves it (F32, or an integer type for VB-LoRA's top-k indices).
  public var dtype: DType
  /// The checkpoint key already holds an adapter name where the model key has one (ShadowPEFT saves
  /// `<container>.default.` in the middle of its keys): the model key replaces that component, the one
  /// before the last ``adapterNameDepth`` components, instead of inserting one.
  public var replacesSavedName: Bool
  /// A model key that does not follow the insertion rule (prompt learning's `prompt_embeddings`
  /// lives in the prompt encoder): used as is, whatever the adapter name.
  public var fixedModelKey: String?

  public init(
    name: String, shape: [Int], role: Role = .adapter, adapterNameDepth: Int = 1, adapterNameInfix: String = "{name}",
    dtype: DType = .f32, fixedModelKey: String? = nil, replacesSavedName: Bool = false
  ) {
    self.replacesSavedName = replacesSavedName
    self.name = name
    self.shape = shape
    self.role = role
    self.adapterNameDepth = adapterNameDepth
    self.adapterNameInfix = adapterNameInfix
    self.dtype = dtype
    self.fixedModelKey = fixedModelKey
  }

  /// The key the PEFT-wrapped model has for this tensor under adapter `adapterName` (a base weight
  /// keeps its name).
  public func modelKey(adapterName: String) -> String {
    if let fixedModelKey { return fixedModelKey }
    guard role != .baseWeight else { return name }
    let infix = adapterNameInfix == "{name}" ? adapterName : adapterNameInfix.replacing("{name}", with: adapterName)
    // The infix goes before the last `adapterNameDepth` dot-separated components (first when the name
    // has no more), or with `replacesSavedName` takes the place of the component before them. Found on
    // the bytes: the rule table asks this for every tensor of every planned case, and splitting and
    // joining the name was most of its time (`perf record` of the matrix's planning).
    let depthDot = dot(fromEnd: adapterNameDepth)
    if replacesSavedName, let end = depthDot {
      let start = dot(fromEnd: adapterNameDepth + 1).map { name.utf8.index(after: $0) } ?? name.startIndex
      return String(name[..<start]) + infix + name[end...]
    }
    guard adapterNameDepth > 0 else { return name + "." + infix }
    guard let depthDot else { return infix + "." + name }
    return String(name[..<depthDot]) + "." + infix + name[depthDot...]
  }

  /// The `count`-th dot of ``name`` from its end (the end itself for 0), or nil when it has fewer.
  private func dot(fromEnd count: Int) -> String.Index? {
    let utf8 = name.utf8
    guard count > 0 else { return utf8.endIndex }
    var dots = 0
    var position = utf8.endIndex
    while position > utf8.startIndex {
      position = utf8.index(before: position)
      guard utf8[position] == UInt8(ascii: ".") else { continue }
      dots += 1
      if dots == count { return position }
    }
    return nil
  }

  public var description: String { "\(name) [\(shape.map(String.init).joined(separator: ", "))]" }
}
