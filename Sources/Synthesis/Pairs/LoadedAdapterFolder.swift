/// The folder name, under a pair's `loaded/`, of an adapter that is already in the model.
///
/// Adapter names come from case files and may be anything a test wants to try on a loader (`a.b`,
/// `..`, `x/y`, control characters). A name that is a plain file name is used as it is
/// (`loaded/default/`); any other becomes `_` and its UTF-8 bytes in hex (`..` → `_2e2e`), so no name
/// can reach outside `loaded/`. Plain names never start with `_`, which keeps the mapping one-to-one.
public enum LoadedAdapterFolder {
  /// The folder name for `adapterName`.
  public static func name(for adapterName: String) -> String {
    if isPlain(adapterName) { return adapterName }
    let hex = adapterName.utf8.map { byte in
      let digits = String(byte, radix: 16)
      return digits.count == 1 ? "0" + digits : digits
    }
    return "_" + hex.joined()
  }

  /// Not empty, at most 128 bytes, not `.` or `..`, no `/`, no NUL, no control character, no leading `_`.
  static func isPlain(_ name: String) -> Bool {
    guard !name.isEmpty, name.utf8.count <= 128, name != ".", name != "..", !name.hasPrefix("_") else { return false }
    return name.unicodeScalars.allSatisfy { scalar in
      scalar != "/" && scalar != "\\" && scalar.value >= 0x20 && scalar.value != 0x7F && !(0x80..<0xA0).contains(scalar.value)
    }
  }
}
