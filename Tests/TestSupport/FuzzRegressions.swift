import TensorIO
import TestSupport

/// The committed fuzz regression inputs (`Fuzz/regressions/<target>/`), so that every input a fuzzer
/// once crashed or hung on is replayed by the ordinary test run too.
public enum FuzzRegressions {
  public static let root = FileSystem.join(Repository.root, "Fuzz", "regressions")

  /// Paths of every input of one target, sorted (README files excluded).
  public static func files(_ target: String) -> [String] {
    let folder = FileSystem.join(root, target)
    let names = (try? FileSystem.contents(ofDirectory: folder)) ?? []
    return names.filter { !$0.hasSuffix(".md") }.sorted().map { FileSystem.join(folder, $0) }
  }
}
