import TensorIO

/// A mutation as a case writes it: `- resize_vocab: {to: 160}` or `- tie_embeddings`.
struct NamedMutation {
  var name: String
  var arguments: JSONValue
  var path: String

  /// The mutations of a `mutations` list.
  static func list(_ value: JSONValue?, path: String) throws(SynthesisError) -> [NamedMutation] {
    guard let value else { return [] }
    guard let items = value.arrayValue else {
      throw SynthesisError(field: path, .invalidValue("expected a list of mutations, found \(value.typeName)"))
    }
    var result: [NamedMutation] = []
    for (i, item) in items.enumerated() {
      let itemPath = "\(path)[\(i)]"
      if let name = item.stringValue {
        result.append(NamedMutation(name: name, arguments: .object(JSONObject()), path: "\(itemPath).\(name)"))
      } else if let object = item.objectValue, object.count == 1, let member = object.members.first {
        result.append(NamedMutation(name: member.key, arguments: member.value, path: "\(itemPath).\(member.key)"))
      } else {
        throw SynthesisError(
          field: itemPath, .invalidValue("expected a mutation name or a one-key object {name: {arguments}}"))
      }
    }
    return result
  }

  /// The decoded mutation with where and how the case wrote it.
  func written<Value>(_ value: Value) -> WrittenMutation<Value> {
    WrittenMutation(value, path: path, name: name, arguments: arguments.objectValue ?? JSONObject())
  }

  func reader() throws(SynthesisError) -> FieldReader {
    try FieldReader(arguments.isNull ? .object(JSONObject()) : arguments, path: path)
  }
}

extension BaseMutation {
  /// The base mutations as case files name them, with their arguments (what ``decode(_:)`` reads).
  public static let schemas: [MutationSchema] = [
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
  ]

  /// Decodes one mutation of a case's `base.mutations`.
  static func decode(_ named: NamedMutation) throws(SynthesisError) -> BaseMutation {
    var r = try named.reader()
    let mutation: BaseMutation
    switch named.name {
    case "resize_vocab":
      mutation = .resizeVocab(to: try r.requiredInt("to"), padToMultipleOf: try r.int("pad_to_multiple_of"))
    case "hidden_size": mutation = .hiddenSize(try r.requiredInt("to"))
    case "intermediate_size": mutation = .intermediateSize(try r.requiredInt("to"))
    case "num_layers": mutation = .layerCount(try r.requiredInt("to"))
    case "num_heads": mutation = .headCount(heads: try r.requiredInt("to"), keyValueHeads: try r.int("kv"))
    case "tie_embeddings": mutation = .tieWordEmbeddings(true)
    case "untie_embeddings": mutation = .tieWordEmbeddings(false)
    case "rename_modules":
      mutation = .renameModule(ModuleRename(from: try r.requiredString("from"), to: try r.requiredString("to")))
    case "swap_architecture":
      let name = try r.requiredString("to")
      do { mutation = .swapArchitecture(try ModelFamily.named(name)) } catch { throw error.within(r.field("to")) }
    case "dtype":
      guard let dtype = try r.dtype("to") else { throw SynthesisError(field: r.field("to"), .missing) }
      mutation = .dtype(dtype)
    case "shard": mutation = .shards(try r.requiredInt("files"))
    default:
      throw SynthesisError(field: named.path, .unknownMutation(named.name))
    }
    try r.finish()
    return mutation
  }

  /// The field of a case-file mutation that holds the value this mutation's errors name.
  static func argumentField(for name: String, problemField: String) -> String {
    switch (name, problemField) {
    case ("resize_vocab", "pad_to_multiple_of"): "pad_to_multiple_of"
    case ("resize_vocab", _), ("hidden_size", _), ("intermediate_size", _), ("num_layers", _), ("swap_architecture", _),
      ("dtype", _):
      "to"
    case ("num_heads", "num_kv_heads"): "kv"
    case ("num_heads", _): "to"
    case ("shard", _): "files"
    case ("rename_modules", let field): field
    default: ""
    }
  }
}
