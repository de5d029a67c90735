import TensorIO

/// One change to a saved adapter, as a value: what goes wrong between `save_pretrained` and the
/// load. Each transforms the checkpoint's tensor list; the generator writes the result and the rule
/// table derives the expectation from the same list.
public enum AdapterMutation: Sendable, Hashable, CustomStringConvertible {
  /// Removes these checkpoint keys (exact names, or a `.`-suffix such as `lora_B.weight` for every
  /// layer).
  case dropKeys([String])
  /// Adds a key no model has.
  case addUnknownKey(String, shape: [Int], dtype: DType = .f32)
  /// Gives one tensor another size along `dimension` (a rank the model does not have).
  case wrongRank(key: String, dimension: Int, size: Int)
  /// Gives tensors other shapes (an adapter saved with another rank than its config says).
  case setShapes([TensorShape])
  /// Swaps the dimensions of every two-dimensional adapter weight (A and B factors saved transposed).
  case transposeFactors
  /// Saves keys the way the model names them, adapter name included (`lora_A.default.weight`).
  case keepAdapterName(String)
  /// Saves keys without PEFT's `base_model.model.` prefix (the transformers integration's form).
  case stripPrefix
  /// Stores the adapter's tensors in another dtype.
  case dtype(DType)
  /// Saves the input and output embeddings too, for a vocabulary resized to `vocabSize` before
  /// training (PEFT's `save_embedding_layers="auto"`).
  case saveEmbeddings(vocabSize: Int)

  /// The changed checkpoint.
  /// - Throws: ``SynthesisError`` naming this mutation's field when it cannot apply (a key that is
  ///   not in the checkpoint, a dimension the tensor does not have).
  public func apply(to tensors: [AdapterTensor], base: BaseModelDescription) throws(SynthesisError) -> [AdapterTensor] {
    switch self {
    case .dropKeys(let patterns):
      var result = tensors
      for pattern in patterns {
        let before = result.count
        result.removeAll { $0.name == pattern || $0.name.hasSuffix("." + pattern) }
        guard result.count < before else {
          throw SynthesisError(field: "keys", .invalidValue("no checkpoint key is or ends with '\(pattern)'"))
        }
      }
      return result
    case .addUnknownKey(let name, let shape, let dtype):
      guard !tensors.contains(where: { $0.name == name }) else {
        throw SynthesisError(field: "name", .duplicateName(name))
      }
      guard shape.allSatisfy({ $0 >= 0 }) else {
        throw SynthesisError(field: "shape", .invalidValue("dimensions must not be negative"))
      }
      guard (try? TensorInfo(dtype: dtype, shape: shape).byteCount()) != nil else {
        throw SynthesisError(field: "shape", .sizeOverflow(tensor: name))
      }
      return tensors + [AdapterTensor(name: name, shape: shape, dtype: dtype)]
    case .setShapes(let shapes):
      var result = tensors
      for change in shapes {
        guard let index = result.firstIndex(where: { $0.name == change.name }) else {
          throw SynthesisError(field: "modules", .invalidValue("no checkpoint key '\(change.name)'"))
        }
        result[index].shape = change.shape
      }
      return result
    case .transposeFactors:
      return tensors.map { tensor in
        var transposed = tensor
        if tensor.shape.count == 2, tensor.role == .adapter || tensor.role == .vocabulary {
          transposed.shape.reverse()
        }
        return transposed
      }
    case .wrongRank(let key, let dimension, let size):
      guard let index = tensors.firstIndex(where: { $0.name == key }) else {
        throw SynthesisError(field: "key", .invalidValue("no checkpoint key '\(key)'"))
      }
      guard tensors[index].shape.indices.contains(dimension) else {
        throw SynthesisError(field: "dimension", .invalidValue("'\(key)' has no dimension \(dimension)"))
      }
      guard size >= 1 else { throw SynthesisError(field: "size", .tooSmall(size, minimum: 1)) }
      var result = tensors
      result[index].shape[dimension] = size
      return result
    case .keepAdapterName(let name):
      return tensors.map { tensor in
        var renamed = tensor
        renamed.name = tensor.modelKey(adapterName: name)
        renamed.adapterNameDepth = 0
        return renamed
      }
    case .stripPrefix:
      return tensors.map { tensor in
        var renamed = tensor
        if renamed.name.hasPrefix(Self.peftPrefix) { renamed.name.removeFirst(Self.peftPrefix.count) }
        return renamed
      }
    case .dtype(let dtype):
      guard TensorDataGenerator.supportedDTypes.contains(dtype) else {
        throw SynthesisError(field: "dtype", .unsupportedDType(dtype.name))
      }
      return tensors
    case .saveEmbeddings(let vocabSize):
      guard vocabSize >= 1 else { throw SynthesisError(field: "vocab_size", .tooSmall(vocabSize, minimum: 1)) }
      // PEFT saves every state-dict entry of the input and output embedding modules, tied or not.
      var result = tensors
      for spec in base.stateDict where spec.embedding != nil {
        let name = Self.peftPrefix + spec.name
        guard !result.contains(where: { $0.name == name }) else { continue }
        var shape = spec.shape
        shape[0] = vocabSize
        result.append(AdapterTensor(name: name, shape: shape, role: .baseWeight, adapterNameDepth: 0))
      }
      return result
    }
  }

  /// PEFT's prefix for module keys.
  public static let peftPrefix = "base_model.model."

  public var description: String {
    switch self {
    case .dropKeys(let keys): "drop \(keys.joined(separator: ", "))"
    case .addUnknownKey(let key, _, _): "add unknown key \(key)"
    case .setShapes(let shapes): "reshape \(shapes.map(\.name).joined(separator: ", "))"
    case .transposeFactors: "A/B factors transposed"
    case .wrongRank(let key, let dimension, let size): "\(key) dimension \(dimension) = \(size)"
    case .keepAdapterName(let name): "keys keep '.\(name).'"
    case .stripPrefix: "keys without base_model.model."
    case .dtype(let dtype): "adapter dtype \(dtype.name)"
    case .saveEmbeddings(let vocabSize): "embeddings saved for vocab \(vocabSize)"
    }
  }
}

/// A tensor name with a new shape.
public struct TensorShape: Sendable, Hashable {
  public var name: String
  public var shape: [Int]

  public init(name: String, shape: [Int]) {
    self.name = name
    self.shape = shape
  }
}
