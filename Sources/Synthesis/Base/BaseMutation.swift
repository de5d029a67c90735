import TensorIO

/// One change to a base model, as a value: what a user did to the model between training an adapter
/// and loading it (resized the vocabulary, widened it, renamed modules, …). Mutations compose by
/// applying them in order; each checks its result and names its own field when it cannot apply.
public enum BaseMutation: Sendable, Hashable, CustomStringConvertible {
  /// `resize_token_embeddings(vocab_size, pad_to_multiple_of=…)`: the embedding and output rows
  /// (tied or not, and BERT's output bias) follow. `nil` keeps the current size (padding only).
  case resizeVocab(to: Int?, padToMultipleOf: Int?)
  /// Another `hidden_size` (every projection, norm and embedding width follows).
  case hiddenSize(Int)
  /// Another `intermediate_size` (MLP width).
  case intermediateSize(Int)
  /// Another layer count.
  case layerCount(Int)
  /// Other attention head counts; `keyValueHeads: nil` keeps the current value.
  case headCount(heads: Int, keyValueHeads: Int?)
  /// Sets `tie_word_embeddings` (tied output embeddings are not saved).
  case tieWordEmbeddings(Bool)
  /// Renames a module path in the saved weights.
  case renameModule(ModuleRename)
  /// The same dimensions under another architecture's names and config (llama → mistral).
  case swapArchitecture(ModelFamily)
  /// Another weight dtype (F32, F16, BF16).
  case dtype(DType)
  /// Writes the weights as this many shards.
  case shards(Int)

  /// The changed model.
  /// - Throws: ``SynthesisError`` whose field is this mutation's own (`vocab_size`, `num_heads`, …).
  public func apply(to model: BaseModelSpec) throws(SynthesisError) -> BaseModelSpec {
    var result = model
    switch self {
    case .resizeVocab(let size, let multiple):
      let requested = size ?? model.dimensions.vocabSize
      guard requested >= 1 else { throw SynthesisError(field: "vocab_size", .tooSmall(requested, minimum: 1)) }
      var newSize = requested
      if let multiple {
        guard multiple >= 1 else { throw SynthesisError(field: "pad_to_multiple_of", .tooSmall(multiple, minimum: 1)) }
        guard requested <= Int.max - multiple else {
          throw SynthesisError(field: "vocab_size", .sizeOverflow(tensor: "embeddings"))
        }
        newSize = (requested + multiple - 1) / multiple * multiple
      }
      result.dimensions.vocabSize = newSize
    case .hiddenSize(let size): result.dimensions.hiddenSize = size
    case .intermediateSize(let size): result.dimensions.intermediateSize = size
    case .layerCount(let count): result.dimensions.layers = count
    case .headCount(let heads, let keyValueHeads):
      result.dimensions.attentionHeads = heads
      if let keyValueHeads { result.dimensions.keyValueHeads = keyValueHeads }
    case .tieWordEmbeddings(let tie): result.tieWordEmbeddings = tie
    case .renameModule(let rename): result.renames.append(rename)
    case .swapArchitecture(let family):
      result.family = family
      result.specialTokens = BaseModelSpec.defaultSpecialTokens(for: family, vocabSize: model.dimensions.vocabSize)
      result.configOverrides = JSONObject()
      if family.definition.tyingIsFixed { result.tieWordEmbeddings = true }
    case .dtype(let dtype):
      _ = try BaseModelSpec.configDTypeName(dtype)
      result.dtype = dtype
    case .shards(let count):
      guard count >= 1 else { throw SynthesisError(field: "shards", .tooSmall(count, minimum: 1)) }
      result.shardCount = count
    }
    do {
      _ = try result.describe()
    } catch {
      throw reroot(error, renameIndex: result.renames.count - 1)
    }
    return result
  }

  /// Describes a failure of the mutated model from this mutation's point of view: the mutation
  /// asked for it, so the error names the mutation's own field.
  private func reroot(_ error: SynthesisError, renameIndex: Int) -> SynthesisError {
    var error = error
    switch self {
    case .swapArchitecture: error.field = "architecture"
    case .resizeVocab: error.field = "vocab_size"
    case .hiddenSize: error.field = "hidden_size"
    case .intermediateSize: error.field = "intermediate_size"
    case .layerCount: error.field = "num_layers"
    case .headCount(_, let keyValueHeads):
      error.field = keyValueHeads != nil && error.field.hasSuffix("num_kv_heads") ? "num_kv_heads" : "num_heads"
    case .tieWordEmbeddings: error.field = "tie_word_embeddings"
    case .dtype: error.field = "dtype"
    case .shards: error.field = "shards"
    case .renameModule:
      let prefix = "renames[\(renameIndex)]."
      if error.field.hasPrefix(prefix) { error.field.removeFirst(prefix.count) }
    }
    return error
  }

  public var description: String {
    switch self {
    case .resizeVocab(let size, let multiple):
      "resize vocab to \(size.map(String.init) ?? "current")" + (multiple.map { " (multiple of \($0))" } ?? "")
    case .hiddenSize(let size): "hidden size \(size)"
    case .intermediateSize(let size): "intermediate size \(size)"
    case .layerCount(let count): "\(count) layers"
    case .headCount(let heads, let kv): "\(heads) heads" + (kv.map { ", \($0) key/value heads" } ?? "")
    case .tieWordEmbeddings(let tie): tie ? "tie word embeddings" : "untie word embeddings"
    case .renameModule(let rename): "rename \(rename)"
    case .swapArchitecture(let family): "as \(family)"
    case .dtype(let dtype): "dtype \(dtype.name)"
    case .shards(let count): "\(count) shards"
    }
  }
}

extension BaseModelSpec {
  /// Applies mutations in order.
  /// - Throws: ``SynthesisError`` at `mutations[i].<field>` for the first one that cannot apply.
  public func applying(_ mutations: [BaseMutation]) throws(SynthesisError) -> BaseModelSpec {
    var model = self
    for (i, mutation) in mutations.enumerated() {
      do { model = try mutation.apply(to: model) } catch { throw error.within("mutations[\(i)]") }
    }
    return model
  }
}
