/// What a checkpoint's own key tree tells about a model class transformers does not register (remote
/// code, a newer transformers): which top-level module is the backbone and which are heads. Every
/// conclusion comes with the fact it rests on, for the `architecture-inferred` diagnostic.
struct KeyTreeInference {
  /// The backbone's attribute (`transformer`), when the checkpoint holds one container besides its heads.
  var backbone: String?
  /// Top-level modules taken for heads, by their conventional names.
  var heads: [String]
  var facts: [String]

  init(keys: [String], modelClass: String) {
    var tops: [String] = []
    var nested: Set<String> = []
    var seen: Set<Substring> = []
    for key in keys {
      let parts = key.split(separator: ".", maxSplits: 2)
      guard parts.count > 1 else { continue }
      if seen.insert(parts[0]).inserted { tops.append(String(parts[0])) }
      if parts.count > 2 { nested.insert(String(parts[0])) }
    }
    heads = tops.filter { Architecture.conventionalHeadNames.contains($0) }
    let others = tops.filter { !Architecture.conventionalHeadNames.contains($0) }
    facts = []
    if modelClass.isEmpty { facts.append("config.json names no model class (architectures)") }
    if others.count == 1, nested.contains(others[0]) {
      backbone = others[0]
      facts.append("backbone prefix '\(others[0]).' inferred from the checkpoint: its only top-level module "
        + "besides \(heads.isEmpty ? "no heads" : "the head(s) " + heads.joined(separator: ", "))")
    } else if !others.isEmpty {
      facts.append("no backbone prefix: the checkpoint's modules (\(others.prefix(4).joined(separator: ", "))"
        + "\(others.count > 4 ? ", …" : "")) sit at the top level, as a bare model saves them; if the class "
        + "holds them under an attribute, keys are named with that prefix")
    }
    if !heads.isEmpty { facts.append("head(s) inferred from their names: \(heads.joined(separator: ", "))") }
  }

  /// Names `get_input_embeddings()` conventionally returns, most specific first.
  static let inputEmbeddingNames = ["embed_tokens", "wte", "word_embeddings", "embed_in", "shared"]

  /// The checkpoint key of the input embeddings' weight, by conventional names (first in file order).
  static func inputEmbeddingKey(in keys: [String: Int]) -> String? {
    var best: (rank: Int, position: Int, key: String)?
    for (key, position) in keys where key.hasSuffix(".weight") {
      let module = parentPath(key)
      let name = module.split(separator: ".").last.map(String.init) ?? module
      guard let rank = inputEmbeddingNames.firstIndex(of: name) else { continue }
      if best == nil || (rank, position) < (best!.rank, best!.position) { best = (rank, position, key) }
    }
    return best?.key
  }
}
