import TensorIO

/// The Hugging Face cache as huggingface_hub lays it out (`file_download.py`):
/// `models--org--name/refs/<revision>` holds a commit hash, `snapshots/<commit>/<file>` are
/// symbolic links into `blobs/`, `.no_exist/<commit>/<file>` records files known to be absent.
public struct HuggingFaceCache: Sendable {
  /// The cache folder (``HubEnvironment/hubCache``).
  public var root: String

  /// The cache at `root`; nothing is read until asked.
  public init(root: String) { self.root = root }

  /// `models--org--name` (huggingface_hub's `repo_folder_name`).
  public static func repoFolderName(_ repo: String) -> String {
    (["models"] + repo.split(separator: "/").map(String.init)).joined(separator: "--")
  }

  /// The commit a revision resolves to in `repoFolder`, as `try_to_load_from_cache` finds it: the
  /// content of `refs/<revision>` if that file exists, else the revision itself.
  static func commit(for revision: String, in repoFolder: String) -> String {
    let ref = FileSystem.join(repoFolder, "refs", revision)
    if FileSystem.isFile(ref), let bytes = try? FileSystem.read(ref) {
      // huggingface_hub writes the hash without a newline; tolerate one written by hand.
      return String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
    }
    return revision
  }

  /// The snapshot folder of `reference` (its subfolder included) if the cache has that
  /// revision, with the commit it resolved to.
  public func snapshot(of reference: HubReference) -> (path: String, commit: String)? {
    let repoFolder = FileSystem.join(root, Self.repoFolderName(reference.repo))
    guard FileSystem.kind(of: repoFolder) == .directory else { return nil }
    let commit = Self.commit(for: reference.effectiveRevision, in: repoFolder)
    // A commit read from refs/ names a folder: it must be one plain component.
    guard HeaderCache.isCommitName(commit) else { return nil }
    let snapshot = FileSystem.join(repoFolder, "snapshots", commit)
    let path = reference.subfolder.map { FileSystem.join(snapshot, $0) } ?? snapshot
    guard FileSystem.kind(of: path) == .directory else { return nil }
    return (path, commit)
  }
}

/// Adaptest's own cache of what it fetched from the Hub: configs, shard indexes and the first
/// bytes (length and header) of each safetensors file, laid out like the Hugging Face cache but
/// with `<file>.header` prefixes instead of whole files:
///
/// ```
/// models--org--name/refs/main                          the commit main resolved to
/// models--org--name/snapshots/<commit>/config.json
/// models--org--name/snapshots/<commit>/model.safetensors.index.json
/// models--org--name/snapshots/<commit>/model-00001-of-00002.safetensors.header
/// models--org--name/snapshots/<commit>/adaptest-model.json     the files, their sizes; written last
/// ```
///
/// A repository holding both a model and an adapter has both manifests (`adaptest-adapter.json`).
public struct HeaderCache: Sendable {
  /// Name of the manifest that completes a snapshot of a model or of an adapter.
  public static func manifestName(_ role: CheckpointRole) -> String {
    role == .model ? "adaptest-model.json" : "adaptest-adapter.json"
  }
  /// Suffix of a cached header prefix.
  public static let headerSuffix = ".header"

  /// The cache folder (``HubEnvironment/headerCache``).
  public var root: String

  /// The cache at `root`; it is created when something is stored.
  public init(root: String) { self.root = root }

  /// What a snapshot holds.
  public struct Manifest: Sendable, Hashable {
    /// The config file's name (`config.json` or `adapter_config.json`).
    public var config: String
    /// The shard index's name, for a sharded checkpoint.
    public var index: String?
    /// The safetensors files with their full sizes, in shard order.
    public var files: [(name: String, size: Int)]

    public static func == (lhs: Manifest, rhs: Manifest) -> Bool {
      lhs.config == rhs.config && lhs.index == rhs.index && lhs.files.elementsEqual(rhs.files, by: { $0 == $1 })
    }

    public func hash(into hasher: inout Hasher) {
      hasher.combine(config)
      hasher.combine(index)
      for file in files {
        hasher.combine(file.name)
        hasher.combine(file.size)
      }
    }

    var json: JSONValue {
      .object(
        JSONObject([
          ("config", .string(config)),
          ("index", index.map(JSONValue.string) ?? .null),
          (
            "files",
            .array(
              files.map { .object(JSONObject([("name", .string($0.name)), ("size", .number(String($0.size)))])) })
          ),
        ]))
    }

    init(config: String, index: String?, files: [(name: String, size: Int)]) {
      self.config = config
      self.index = index
      self.files = files
    }

    init?(json: JSONValue) {
      guard let config = json["config"]?.stringValue, let entries = json["files"]?.arrayValue else { return nil }
      var files: [(String, Int)] = []
      for entry in entries {
        guard let name = entry["name"]?.stringValue, let size = entry["size"]?.intValue, size >= 0,
          Self.isPlainName(name)
        else { return nil }
        files.append((name, size))
      }
      let index = json["index"]?.stringValue
      guard Self.isPlainName(config), index.map(Self.isPlainName) ?? true else { return nil }
      self.init(config: config, index: index, files: files)
    }

    /// A file name inside the snapshot folder (shard names come from an index: no `/`).
    static func isPlainName(_ name: String) -> Bool {
      !name.isEmpty && !name.contains("/") && name != "." && name != ".."
    }
  }

  /// A commit that can name a snapshot folder: 1 to 255 of `[A-Za-z0-9._-]`, not `.` or `..`
  /// (the Hub's are 40 hex digits; a mirror's answer is not trusted further).
  public static func isCommitName(_ commit: String) -> Bool {
    (1...255).contains(commit.utf8.count) && commit != "." && commit != ".."
      && commit.utf8.allSatisfy { byte in
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
          UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
          true
        default: false
        }
      }
  }

  func repoFolder(_ repo: String) -> String { FileSystem.join(root, HuggingFaceCache.repoFolderName(repo)) }

  /// The snapshot folder of `reference` at `commit` (its subfolder included).
  public func folder(of reference: HubReference, commit: String) -> String {
    let snapshot = FileSystem.join(repoFolder(reference.repo), "snapshots", commit)
    return reference.subfolder.map { FileSystem.join(snapshot, $0) } ?? snapshot
  }

  /// The commit and manifest recorded for `reference`'s revision as a model or an adapter, if
  /// that was fetched before (a commit hash is its own revision); `nil` if not (or unreadable).
  public func snapshot(of reference: HubReference, as role: CheckpointRole) -> (commit: String, manifest: Manifest)? {
    let commit = HuggingFaceCache.commit(for: reference.effectiveRevision, in: repoFolder(reference.repo))
    guard Self.isCommitName(commit) else { return nil }
    let path = FileSystem.join(folder(of: reference, commit: commit), Self.manifestName(role))
    guard FileSystem.isFile(path), let json = try? readJSON(path: path), let manifest = Manifest(json: json),
      manifest.config == role.configName
    else { return nil }
    return (commit, manifest)
  }

  /// Stores a fetched snapshot: the files first, then the manifest, then the ref, each written
  /// atomically, so that a reader sees a snapshot whole or not at all.
  /// - Parameters:
  ///   - texts: the config and index bytes by name.
  ///   - headers: each safetensors file's first bytes by name.
  /// - Throws: ``FileError``.
  public func store(
    _ manifest: Manifest, texts: [String: [UInt8]], headers: [String: [UInt8]], reference: HubReference,
    commit: String
  ) throws(FileError) {
    let folder = folder(of: reference, commit: commit)
    try FileSystem.createDirectory(folder)
    for (name, bytes) in texts.sorted(by: { $0.key < $1.key }) {
      try AtomicFile.write(bytes, to: FileSystem.join(folder, name))
    }
    for (name, bytes) in headers.sorted(by: { $0.key < $1.key }) {
      try AtomicFile.write(bytes, to: FileSystem.join(folder, name + Self.headerSuffix))
    }
    let role: CheckpointRole = manifest.config == CheckpointRole.adapter.configName ? .adapter : .model
    try AtomicFile.write(
      text: JSONWriter(indent: 2).string(manifest.json) + "\n", to: FileSystem.join(folder, Self.manifestName(role)))
    if reference.effectiveRevision != commit {
      let ref = FileSystem.join(repoFolder(reference.repo), "refs", reference.effectiveRevision)
      if let slash = ref.lastIndex(of: "/") { try FileSystem.createDirectory(String(ref[..<slash])) }
      try AtomicFile.write(text: commit, to: ref)
    }
  }
}
