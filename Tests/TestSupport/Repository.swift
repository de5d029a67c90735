/// The repository's folders, found from this file's path (no absolute paths in the sources).
public enum Repository {
  /// `…/Tests/TestSupport/Repository.swift` → `…`.
  public static let root: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
  }()

  public static var corpus: String { root + "/Corpus" }
  public static var scripts: String { root + "/scripts" }

  /// A test target's `Fixtures` folder: `fixtures("HDF5CheckpointTests")`.
  public static func fixtures(_ target: String) -> String { "\(root)/Tests/\(target)/Fixtures" }
}
