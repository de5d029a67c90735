import TensorIO

/// PEFT's structural view of which state-dict keys belong to the PEFT method (PEFT ≥ 0.21,
/// `_get_tuner_state_dict_key_prefixes`): everything on tuner layers except the wrapped `base_layer`,
/// plus the tuner model's own containers, ignoring layers inside auxiliary wrappers.
extension PeftModel {
  /// The key prefixes of the PEFT method's tensors; with `adapterName`, adapter-keyed containers
  /// contribute only `<container>.<adapterName>`, and only if they hold that adapter.
  public func tunerKeyPrefixes(adapterName: String? = nil) -> Set<String> {
    var prefixes = Set<String>()
    var auxiliary: [String] = []
    for (name, node) in tree.namedModules() {
      let module = tree[node]
      switch module.kind {
      case .modulesToSaveWrapper, .trainableTokensWrapper:
        auxiliary.append(name)
      case .tunerModel:
        prefixes.formUnion(attributePrefixes(node, path: name, adapterName: adapterName))
      case .tunerLayer:
        if !Self.isUnder(name, auxiliary) {
          prefixes.formUnion(attributePrefixes(node, path: name, adapterName: adapterName))
        }
      default:
        break
      }
    }
    return prefixes
  }

  private func attributePrefixes(_ node: Int, path: String, adapterName: String?) -> [String] {
    let module = tree[node]
    var result: [String] = []
    for child in module.children where child.name != "base_layer" && child.name != "model" {
      let prefix = path.isEmpty ? child.name : path + "." + child.name
      let childModule = tree[child.node]
      if let adapterName, childModule.kind.isAdapterDict {
        if childModule.child(adapterName) != nil || childModule.tensors.contains(where: { $0.name == adapterName }) {
          result.append(prefix + "." + adapterName)
        }
      } else {
        result.append(prefix)
      }
    }
    for tensor in module.tensors {
      result.append(path.isEmpty ? tensor.name : path + "." + tensor.name)
    }
    return result
  }

  static func isUnder(_ name: String, _ prefixes: [String]) -> Bool {
    prefixes.contains { name == $0 || name.hasPrefix($0 + ".") }
  }
}

/// `_is_key_under_prefixes`: the key or one of its dotted ancestors is a prefix.
func isKeyUnderPrefixes(_ key: String, _ prefixes: Set<String>) -> Bool {
  guard !prefixes.isEmpty else { return false }
  var subkey = Substring(key)
  while true {
    if prefixes.contains(String(subkey)) { return true }
    guard let dot = subkey.lastIndex(of: ".") else { return false }
    subkey = subkey[..<dot]
  }
}

/// `_remove_adapter_name_from_state_dict_key`.
func removeAdapterName(from key: String, adapterName: String) -> String {
  guard key.contains(".") else { return key }
  let suffix = "." + adapterName
  if key.hasSuffix(suffix) { return String(key.dropLast(suffix.count)) }
  let (head, last) = splitKey(key)
  let trimmed = head.hasSuffix(suffix) ? String(head.dropLast(suffix.count)) : head
  return trimmed + "." + last
}
