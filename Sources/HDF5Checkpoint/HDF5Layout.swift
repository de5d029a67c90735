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

  /// Where a writer puts each tensor's dataset (absolute HDF5 paths), given all names of a file in
  /// order (docs/hdf5-layout.md §2.1). Names must be unique.
  public static func datasetPaths(for names: [String]) -> [String] {
    let components = names.map(plainComponents)
    // Every proper prefix of a plain name must be a group, so a tensor there cannot be a dataset.
    var groupPrefixes = Set<[Substring]>()
    for case let parts? in components where parts.count > 1 {
      for length in 1..<parts.count { groupPrefixes.insert(Array(parts[0..<length])) }
    }
    return components.enumerated().map { index, parts in
      if let parts, !groupPrefixes.contains(parts) {
        return "/" + parts.joined(separator: "/")
      }
      return "/\(escapedGroup)/\(index)"
    }
  }

  /// The dotted components of a plain name, or `nil` if the name must be escaped.
  static func plainComponents(_ name: String) -> [Substring]? {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    guard let first = parts.first, first != escapedGroup else { return nil }
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
