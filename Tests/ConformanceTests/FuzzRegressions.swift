import TensorIO

/// The committed fuzz regression inputs (`Fuzz/regressions/<target>/`), so that every input a fuzzer
/// once crashed or hung on is replayed by the ordinary test run too.
enum FuzzRegressions {
  static let root: String = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
    return FileSystem.join(path, "Fuzz", "regressions")
  }()

  /// Paths of every input of one target, sorted (README files excluded).
  static func files(_ target: String) -> [String] {
    let folder = FileSystem.join(root, target)
    let names = (try? FileSystem.contents(ofDirectory: folder)) ?? []
    return names.filter { !$0.hasSuffix(".md") }.sorted().map { FileSystem.join(folder, $0) }
  }
}
