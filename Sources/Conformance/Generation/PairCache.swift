import Synthesis
import SystemSupport
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Built pairs kept across runs, so that a second run with the same corpus writes nothing (about
/// 470 MB for the default corpus and matrix; `adaptest run --no-cache` neither reads nor fills it).
///
/// An entry is one pair folder (`base/`, `adapter/`, `loaded/`, `case.json`) under
/// `ROOT/GENERATOR/KEY`: `KEY` hashes the pair's manifest (every tensor, config and mutation the plan
/// writes, the format and the data seed); `GENERATOR` hashes the Adaptest build that wrote it (its
/// version and the executable's size and modification time), so a rebuilt generator never reuses
/// another build's bytes. Entries appear whole (written aside, then renamed into place); runs of one
/// build share them; opening the cache removes the folders of builds other than the two newest.
public struct PairCache: Sendable {
  /// `ROOT/GENERATOR`: this build's entries.
  public let folder: String

  /// The cache of this build under `root`.
  public init(root: String) {
    folder = FileSystem.join(root, Self.generatorIdentity)
  }

  /// `$ADAPTEST_CACHE_DIR/pairs`, else `adaptest-pairs-UID` in the scratch folder (`$TMPDIR`, else
  /// memory-backed `/dev/shm`, else `/tmp`): pairs are many small files, and a disk that syncs each
  /// one made a first run slower than building them afresh. Nil when that folder is not this user's
  /// alone (another user could plant pairs in it).
  public static var defaultRoot: String? {
    if let value = getenv("ADAPTEST_CACHE_DIR"), case let explicit = String(cString: value), !explicit.isEmpty {
      return FileSystem.join(explicit, "pairs")
    }
    let root = FileSystem.join(TemporaryFolder.base(), "adaptest-pairs-\(getuid())")
    if FileSystem.kind(of: root, followLinks: false) == .missing { _ = mkdir(root, 0o700) }
    var info = stat()
    guard lstat(root, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid(),
      info.st_mode & 0o022 == 0
    else { return nil }
    return root
  }

  /// The folder of a plan's pair in one format (it may not exist yet).
  public func entry(for plan: PairPlan, format: CheckpointFormat, seed: UInt64) -> String {
    var hasher = SHA256()
    hasher.update(JSONWriter.pythonSorted.string(plan.manifest(format: format, seed: seed, sparseBase: false)))
    return FileSystem.join(folder, String(hasher.finalize().prefix(32)))
  }

  /// The entry for a plan, written first if no run of this build has written it.
  public func pair(for plan: PairPlan, format: CheckpointFormat, seed: UInt64, writer: PairWriter) throws -> String {
    let entry = entry(for: plan, format: format, seed: seed)
    if FileSystem.kind(of: entry, followLinks: false) == .directory { return entry }
    try FileSystem.createDirectory(folder)
    do {
      try writer.write(plan, to: entry, format: format, seed: seed)
    } catch PairWriteError.destinationExists {
      // Another job wrote the same pair first: its folder is complete (it was renamed into place).
    }
    return entry
  }

  /// Removes the entries of builds other than this one and the newest other (best effort).
  public func pruneOtherBuilds() {
    let root = String(folder[..<(folder.lastIndex(of: "/") ?? folder.startIndex)])
    let this = FileSystem.lastComponent(folder)
    let others = ((try? FileSystem.contents(ofDirectory: root)) ?? []).filter { $0 != this && !$0.hasPrefix(".") }
    let byAge = others.sorted { Self.modified(FileSystem.join(root, $0)) > Self.modified(FileSystem.join(root, $1)) }
    for name in byAge.dropFirst() { try? FileSystem.removeTree(FileSystem.join(root, name)) }
  }

  /// The running build: Adaptest's version and the executable's size and modification time.
  static let generatorIdentity: String = {
    var hasher = SHA256()
    hasher.update(AdaptestVersion.current)
    var info = stat()
    if stat("/proc/self/exe", &info) == 0 || (CommandLine.arguments.first.map { stat($0, &info) == 0 } ?? false) {
      #if canImport(Darwin)
        hasher.update("\(info.st_size) \(info.st_mtimespec.tv_sec) \(info.st_mtimespec.tv_nsec) \(info.st_ino)")
      #else
        hasher.update("\(info.st_size) \(info.st_mtim.tv_sec) \(info.st_mtim.tv_nsec) \(info.st_ino)")
      #endif
    } else {
      // Without a way to tell builds apart, never share: a fresh identity per process.
      hasher.update("process \(getpid()) \(Monotonic.now)")
    }
    return String(hasher.finalize().prefix(16))
  }()

  private static func modified(_ path: String) -> Int {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    #if canImport(Darwin)
      return Int(info.st_mtimespec.tv_sec)
    #else
      return Int(info.st_mtim.tv_sec)
    #endif
  }
}
