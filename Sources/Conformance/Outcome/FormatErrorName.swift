/// Format-error names: the safetensors reference's variants may be written `InvalidOffset` (Rust,
/// drivers) or `invalidOffset` (the SafeTensors module); both mean the same.
public enum FormatErrorName {
  /// The form used in the corpus: lower camel case for safetensors variants, HDF5 kinds as they are.
  public static func canonical(_ name: String) -> String {
    guard let first = name.first, first.isUppercase, !name.contains("-") else { return name }
    return first.lowercased() + name.dropFirst()
  }

  /// Whether two names denote the same format error.
  public static func same(_ a: String?, _ b: String?) -> Bool {
    a.map(canonical) == b.map(canonical)
  }
}
