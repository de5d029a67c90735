import HDF5Checkpoint
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
/// 0.9 GB for the default corpus and matrix in both formats; `adaptest run --no-cache` neither reads nor
/// fills it).
///
/// An entry is one pair folder (`base/`, `adapter/`, `loaded/`, `case.json`) under
/// `ROOT/GENERATOR/KEY`: `KEY` hashes what the plan writes (``recipe(of:format:seed:)``: the manifest,
/// every config, tensor and mutation, the format and the data seed); `GENERATOR` hashes the Adaptest build that wrote it (its
/// version and the executable's size and modification time), so a rebuilt generator never reuses
/// another build's bytes. Entries appear whole (written aside, then renamed into place); runs of one
/// build share them; opening the cache removes the folders of builds other than the two newest (moved
/// aside at once, removed in the background), except a folder another process is using (each run holds a shared lock on its build's
/// `.in-use` file while it runs, so two builds running at once never remove each other's pairs).
public struct PairCache: Sendable {
  /// `ROOT/GENERATOR`: this build's entries.
  public let folder: String

  /// The cache of this build under `root`.
  public init(root: String) {
    folder = FileSystem.join(root, Self.generatorIdentity)
  }

  /// Where this build's HDF5 validator keeps its reports (``HDF5Validator/keptReports``): hidden, so that it
  /// is never taken for an entry, and pruned with the build's entries.
  public var validationReports: String { FileSystem.join(folder, ".hdf5-reports") }

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
    hasher.update(Self.keyBytes(Self.recipe(of: plan, format: format, seed: seed)))
    return FileSystem.join(folder, String(hasher.finalize().prefix(32)))
  }

  /// A recipe as the bytes its key hashes: its compact JSON text, objects in their members' order (the order
  /// the plan builds them in). JSON text tells any two values apart; sorting every object's keys for
  /// Python's layout was more than half of preparing a cached case (`perf record` of a default run), and an
  /// entry is only ever looked up by the build that wrote it.
  static func keyBytes(_ recipe: JSONValue) -> [UInt8] {
    JSONWriter.compact.bytes(recipe)
  }

  /// What a pair's files are made of: its manifest (`case.json`: ids, mutations, counts, the expected
  /// outcome), the loading base's config, the adapter config and every adapter tensor's name, shape,
  /// dtype and role, and the already-loaded adapters' likewise. The manifest alone counts the tensors
  /// without their shapes and leaves the adapter config out, so a case edited from `r: 2` to `r: 4`
  /// kept its key and got the old pair back.
  static func recipe(of plan: PairPlan, format: CheckpointFormat, seed: UInt64) -> JSONValue {
    func tensors(_ list: [AdapterTensor]) -> JSONValue {
      .array(list.map { tensor in
        .array([
          .string(tensor.name), .array(tensor.shape.map { .number(String($0)) }), .string(tensor.dtype.name),
          .string(tensor.role.rawValue),
        ])
      })
    }
    return .object(
      JSONObject([
        ("manifest", plan.manifest(format: format, seed: seed, sparseBase: false)),
        ("loading_config", .object(plan.loadingBase.config)),
        ("adapter_config", .object(plan.adapterConfig)),
        ("adapter_tensors", tensors(plan.checkpoint)),
        (
          "loaded",
          .array(plan.loadedAdapters.map { .array([.string($0.name), .object($0.config), tensors($0.tensors)]) })
        ),
      ]))
  }

  /// The entry for a plan, written first if no run of this build has written it.
  public func pair(for plan: PairPlan, format: CheckpointFormat, seed: UInt64, writer: PairWriter) throws -> String {
    let entry = entry(for: plan, format: format, seed: seed)
    if FileSystem.kind(of: entry, followLinks: false) == .directory {
      if format == .hdf5 { Self.trustWrittenFiles(in: entry) }
      return entry
    }
    try FileSystem.createDirectory(folder)
    do {
      try writer.write(plan, to: entry, format: format, seed: seed)
      if format == .hdf5 { Self.recordWrittenFiles(in: entry) }
    } catch PairWriteError.destinationExists {
      // Another job wrote the same pair first: its folder is complete (it was renamed into place).
      if format == .hdf5 { Self.trustWrittenFiles(in: entry) }
    }
    return entry
  }

  /// Lists the HDF5 files of an entry (`.hdf5-written`): their identity when this process wrote them.
  static let writtenFilesList = ".hdf5-written"

  /// Keeps the identities of the entry's HDF5 files, which this process wrote: a later run reads them
  /// in process as this one does, instead of validating each in a child process (best effort; without
  /// the list they are validated).
  private static func recordWrittenFiles(in entry: String) {
    guard let files = try? Corpus.files(under: entry) else { return }
    let lines = files.compactMap { file in HDF5WrittenFiles.token(for: FileSystem.join(entry, file)).map { "\(file)\t\($0)" } }
    try? AtomicFile.write(text: lines.joined(separator: "\n") + "\n", to: FileSystem.join(entry, writtenFilesList))
  }

  /// Trusts the entry's HDF5 files that are unchanged since this build wrote them.
  private static func trustWrittenFiles(in entry: String) {
    guard let bytes = try? FileSystem.read(FileSystem.join(entry, writtenFilesList)),
      let text = String(validating: bytes, as: UTF8.self)
    else { return }
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: "\t", maxSplits: 1)
      guard parts.count == 2, !parts[0].split(separator: "/").contains("..") else { continue }
      HDF5WrittenFiles.trust(FileSystem.join(entry, String(parts[0])), token: String(parts[1]))
    }
  }

  /// Removes the entries of builds other than this one and the newest other (best effort), but not
  /// a folder a running process holds (``markInUse()``).
  ///
  /// Each folder is renamed aside at once (`.pruning-NAME-PID`, hidden) and removed on a thread of its own:
  /// removing a build's tens of thousands of files took 14 s of the first run after a rebuild, before
  /// anything else. Folders left aside by a process that ended before removing them go too.
  public func pruneOtherBuilds() {
    let root = String(folder[..<(folder.lastIndex(of: "/") ?? folder.startIndex)])
    let this = FileSystem.lastComponent(folder)
    let names = (try? FileSystem.contents(ofDirectory: root)) ?? []
    var aside = names.filter { $0.hasPrefix(Self.asidePrefix) }.map { FileSystem.join(root, $0) }
    let others = names.filter { $0 != this && !$0.hasPrefix(".") }
    let byAge = others.sorted { Self.modified(FileSystem.join(root, $0)) > Self.modified(FileSystem.join(root, $1)) }
    for name in byAge.dropFirst() {
      let other = FileSystem.join(root, name)
      let target = FileSystem.join(root, "\(Self.asidePrefix)\(name)-\(getpid())")
      // The exclusive lock is granted only when no run holds the folder; it is kept while the folder is
      // moved aside so that a run starting meanwhile waits, then finds its folder gone and makes a new one.
      let descriptor = open(FileSystem.join(other, Self.inUseFile), O_RDONLY | O_CLOEXEC)
      if descriptor >= 0 {
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
        if rename(other, target) == 0 { aside.append(target) }
      } else if rename(other, target) == 0 {
        aside.append(target)
      }
    }
    guard !aside.isEmpty else { return }
    let removal = ThreadJob {
      for folder in aside { try? FileSystem.removeTree(folder) }
    }
    if !removal.start() { for folder in aside { try? FileSystem.removeTree(folder) } }
  }

  /// The name a pruned build's folder is moved aside under, before it is removed.
  static let asidePrefix = ".pruning-"

  /// Holds this build's folder for the rest of the process: another build's
  /// ``pruneOtherBuilds()`` leaves it alone. Best effort (a folder that cannot be created or
  /// locked is only unprotected).
  public func markInUse() {
    Self.held.withLock { held in
      guard held[folder] == nil else { return }
      for _ in 0..<3 {
        try? FileSystem.createDirectory(folder)
        let path = FileSystem.join(folder, Self.inUseFile)
        let descriptor = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        // A prune that had the folder locked has removed it by the time the shared lock is granted:
        // hold the file only if it is still the one at the path.
        var locked = stat()
        var current = stat()
        if flock(descriptor, LOCK_SH) == 0, fstat(descriptor, &locked) == 0, stat(path, &current) == 0,
          locked.st_ino == current.st_ino, locked.st_dev == current.st_dev
        {
          held[folder] = descriptor
          return
        }
        close(descriptor)
      }
    }
  }

  /// The lock file of a build's folder (hidden, so it is never taken for an entry).
  static let inUseFile = ".in-use"

  /// Descriptors holding shared locks, by build folder, open until the process exits.
  private static let held = Locked<[String: Int32]>([:])

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
