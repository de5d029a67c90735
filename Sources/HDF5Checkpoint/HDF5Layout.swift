/// The names and rules of the Adaptest HDF5 layout (docs/hdf5-layout.md).
public enum HDF5Layout {
  /// Value of the root attribute ``formatAttribute`` that marks an Adaptest checkpoint.
  public static let formatMarker = "adaptest-hdf5"
  /// The layout version this library reads and writes.
  public static let formatVersion: Int64 = 1

  /// Root attribute holding ``formatMarker``.
  public static let formatAttribute = "adaptest_format"
  /// Root attribute holding the layout version.
  public static let versionAttribute = "adaptest_format_version"
  /// Root attribute holding the number of tensors.
  public static let tensorCountAttribute = "adaptest_tensor_count"
  /// Root attribute holding, as a JSON object, metadata entries that cannot be plain attributes.
  public static let metadataJSONAttribute = "adaptest_metadata_json"

  /// Dataset attribute: the tensor's exact name.
  public static let nameAttribute = "adaptest_name"
  /// Dataset attribute replacing ``nameAttribute`` for names containing NUL: a JSON string literal.
  public static let nameJSONAttribute = "adaptest_name_json"
  /// Dataset attribute: the safetensors dtype name.
  public static let dtypeAttribute = "adaptest_dtype"
  /// Dataset attribute: the tensor's position in the file.
  public static let indexAttribute = "adaptest_index"
  /// Dataset attribute of packed (sub-byte) dtypes: the tensor's shape.
  public static let shapeAttribute = "adaptest_shape"

  /// Prefix reserved for the layout's own attributes.
  public static let reservedPrefix = "adaptest_"
  /// Group holding tensors whose names cannot be mirrored as a group path.
  public static let escapedGroup = "__adaptest_escaped__"

  /// The deepest group path a name is mirrored to; deeper names are escaped (real checkpoints use
  /// about a dozen components, and each component costs a group).
  public static let maxMirroredComponents = 32

  /// Where a writer puts each tensor's dataset (absolute HDF5 paths), given all names of a file in
  /// order (docs/hdf5-layout.md §2.1). Names must be unique.
  public static func datasetPaths(for names: [String]) -> [String] {
    let components = names.map(plainComponents)
    // Every proper prefix of a plain name must be a group, so a tensor there cannot be a dataset.
    // A trie of the plain names finds them in time linear in the number of components.
    var trie = PrefixTrie()
    let nodes = components.map { parts in parts.map { trie.insert($0) } }
    return components.indices.map { index in
      if let parts = components[index], let node = nodes[index], !trie.hasChildren(node) {
        return "/" + parts.joined(separator: "/")
      }
      return "/\(escapedGroup)/\(index)"
    }
  }

  /// The dotted components of a plain name, or `nil` if the name must be escaped.
  static func plainComponents(_ name: String) -> [Substring]? {
    let parts = name.split(
      separator: ".", maxSplits: maxMirroredComponents, omittingEmptySubsequences: false)
    guard parts.count <= maxMirroredComponents, let first = parts.first, first != escapedGroup else { return nil }
    for part in parts where part.isEmpty || part.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == 0 }) {
      return nil
    }
    return parts
  }

  /// Whether a metadata entry can be stored as a root attribute of its own (§5).
  static func isPlainMetadata(key: String, value: String) -> Bool {
    !key.isEmpty && !key.utf8.contains(0) && !key.hasPrefix(reservedPrefix) && !value.utf8.contains(0)
  }
}

/// Component paths as a trie: node 0 is the root; each node maps a component to a child node.
private struct PrefixTrie {
  private var children: [[Substring: Int]] = [[:]]

  /// Inserts a path; returns the node of its last component.
  mutating func insert(_ parts: [Substring]) -> Int {
    var node = 0
    for part in parts {
      if let next = children[node][part] {
        node = next
      } else {
        children.append([:])
        children[node][part] = children.count - 1
        node = children.count - 1
      }
    }
    return node
  }

  func hasChildren(_ node: Int) -> Bool { !children[node].isEmpty }
}
