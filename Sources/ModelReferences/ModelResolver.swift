import Checkpoints
import SafeTensors
import TensorIO

/// What a reference points at: a transformers model or a PEFT adapter.
public enum CheckpointRole: Sendable, Hashable {
  case model, adapter

  /// `config.json` or `adapter_config.json`.
  public var configName: String { self == .model ? FolderLayout.modelConfig : FolderLayout.adapterConfig }
}

/// A model or adapter found through a reference: its config and its tensor table.
public struct ResolvedCheckpoint: Sendable {
  /// Where the files were read from.
  public enum Origin: Sendable, Hashable {
    /// A local folder.
    case folder
    /// A snapshot of the Hugging Face cache.
    case huggingFaceCache(commit: String)
    /// Headers fetched from the Hub now (`fetchedBytes` > 0) or earlier (read from Adaptest's cache).
    case hub(commit: String, fetchedBytes: Int)
  }

  /// What was asked for.
  public let reference: ModelReference
  /// A model or an adapter.
  public let role: CheckpointRole
  /// Where it was found.
  public let origin: Origin
  /// The folder read: the local folder, the cache snapshot, or the snapshot in Adaptest's cache.
  public let path: String
  /// The config file, for messages.
  public let configPath: String
  /// The config, fields in written order.
  public let config: JSONObject
  /// The weights (for a Hub origin, header-only: names, dtypes and shapes without data).
  public let weights: Checkpoint

  /// An adapter's `base_model_name_or_path`: the base it was trained on, a repo id or a path.
  public var baseModelNameOrPath: String? {
    guard role == .adapter, let name = config["base_model_name_or_path"]?.stringValue, !name.isEmpty else { return nil }
    return name
  }

  /// Bytes fetched over the network for this checkpoint (0 unless just fetched).
  public var fetchedBytes: Int {
    if case .hub(_, let bytes) = origin { return bytes }
    return 0
  }
}

/// Finds models and adapters where users have them, in huggingface_hub's order: a local folder;
/// the Hugging Face cache; then — unless `HF_HUB_OFFLINE` is set — the Hub, reading only configs,
/// shard indexes and safetensors headers, which are kept in Adaptest's cache by commit so that a
/// second check needs no network.
///
/// Both caches are used without asking the Hub first: a snapshot of a commit never changes, and a
/// branch resolves to the commit it had when it was cached (ask for a commit hash to move on).
public actor ModelResolver {
  /// The caches, endpoint and token it uses.
  public let environment: HubEnvironment
  private let options: HubClient.Options
  private var client: HubClient?

  /// Largest config or index read whole.
  static let textLimit = 64 << 20
  /// First bytes asked of a safetensors file: most headers fit, the rest is a second request.
  static let headerProbe = 64 << 10

  /// A resolver for `environment` (by default the process's); an HTTP client is opened only when
  /// a model must be fetched.
  public init(environment: HubEnvironment = HubEnvironment(), options: HubClient.Options = HubClient.Options()) {
    self.environment = environment
    self.options = options
  }

  /// Closes the HTTP client, if one was opened.
  public func shutdown() async {
    await client?.shutdown()
    client = nil
  }

  /// Resolves `reference` as a model or an adapter.
  /// - Throws: ``ReferenceError``, ``HubError``, or the folder's and codec's errors
  ///   (``TensorIO/LayoutError``, ``SafeTensors/SafeTensorsError``, …).
  public func resolve(_ reference: ModelReference, as role: CheckpointRole) async throws -> ResolvedCheckpoint {
    switch reference {
    case .folder(let path):
      return try Self.openFolder(path, role: role, reference: reference, origin: .folder)
    case .hub(let hub):
      if let cached = try cached(hub, as: role) { return cached }
      if environment.offline {
        throw HubError.offline(
          reference: hub.description,
          detail: "neither the Hugging Face cache (\(environment.hubCache)) nor Adaptest's (\(environment.headerCache)) holds its \(role.configName) and safetensors weights")
      }
      return try await fetch(hub, role: role, cache: HeaderCache(root: environment.headerCache))
    }
  }

  /// Resolves `reference` from this machine alone, as ``resolve(_:as:)`` does before it asks the Hub;
  /// nil when only the Hub has it. Touches neither the network nor the actor's state, so it may run
  /// on any thread (`check` reads its base this way while its command line is parsed).
  /// - Parameter formats: the weight formats read (``Checkpoints/CheckpointFormats/standard`` by default).
  /// - Throws: as ``resolve(_:as:)``, except ``HubError``.
  public nonisolated func resolveLocally(
    _ reference: ModelReference, as role: CheckpointRole, formats: CheckpointFormats = .standard
  ) throws -> ResolvedCheckpoint? {
    switch reference {
    case .folder(let path):
      return try Self.openFolder(path, role: role, reference: reference, origin: .folder, formats: formats)
    case .hub(let hub):
      return try cached(hub, as: role, formats: formats)
    }
  }

  /// A Hub reference from a complete snapshot in the Hugging Face cache, else from Adaptest's cache of
  /// fetched headers; nil when neither has it.
  private nonisolated func cached(_ hub: HubReference, as role: CheckpointRole, formats: CheckpointFormats = .standard)
    throws -> ResolvedCheckpoint?
  {
    let reference = ModelReference.hub(hub)
    if let snapshot = HuggingFaceCache(root: environment.hubCache).snapshot(of: hub),
      Self.isComplete(snapshot.path, role: role)
    {
      return try Self.openFolder(
        snapshot.path, role: role, reference: reference, origin: .huggingFaceCache(commit: snapshot.commit),
        formats: formats)
    }
    let headers = HeaderCache(root: environment.headerCache)
    guard let known = headers.snapshot(of: hub, as: role) else { return nil }
    return try Self.openHeaders(
      known.manifest, in: headers.folder(of: hub, commit: known.commit), reference: reference,
      origin: .hub(commit: known.commit, fetchedBytes: 0))
  }

  /// Resolves a Hub reference that may be a model or an adapter (for `inspect`): an adapter when
  /// it has `adapter_config.json`, as ``Checkpoints/OpenedCheckpoint`` decides for folders.
  /// - Throws: as ``resolve(_:as:)``.
  public func resolveModelOrAdapter(_ hub: HubReference) async throws -> ResolvedCheckpoint {
    if let cached = HuggingFaceCache(root: environment.hubCache).snapshot(of: hub) {
      for role in [CheckpointRole.adapter, .model] where Self.isComplete(cached.path, role: role) {
        return try await resolve(.hub(hub), as: role)
      }
    }
    let headers = HeaderCache(root: environment.headerCache)
    for role in [CheckpointRole.adapter, .model] where headers.snapshot(of: hub, as: role) != nil {
      return try await resolve(.hub(hub), as: role)
    }
    do {
      return try await resolve(.hub(hub), as: .adapter)
    } catch HubError.notFound(_, _, let file, let code)
      where code != "RepoNotFound" && code != "RevisionNotFound" && file == hub.filePath(FolderLayout.adapterConfig)
    {
      return try await resolve(.hub(hub), as: .model)
    }
  }

  /// Opens a folder: `config.json` and weights, or `adapter_config.json` and weights.
  static func openFolder(
    _ path: String, role: CheckpointRole, reference: ModelReference, origin: ResolvedCheckpoint.Origin,
    formats: CheckpointFormats = .standard
  ) throws -> ResolvedCheckpoint {
    let config: JSONObject
    let weights: WeightFiles
    // A cache snapshot's files are links into its repository's `blobs/`: links may lead there, no further.
    var linkRoot: String? = nil
    if case .huggingFaceCache = origin, let snapshots = path.firstRange(of: "/snapshots/") {
      linkRoot = String(path[..<snapshots.lowerBound])
    }
    switch role {
    case .model:
      let folder = try ModelFolder(path: path, linkRoot: linkRoot)
      (config, weights) = (folder.config, folder.weights)
    case .adapter:
      let folder = try AdapterFolder(path: path, linkRoot: linkRoot)
      (config, weights) = (folder.config, folder.weights)
    }
    return ResolvedCheckpoint(
      reference: reference, role: role, origin: origin, path: path, configPath: FileSystem.join(path, role.configName),
      config: config, weights: try Checkpoint(weights: weights, formats: formats))
  }

  /// A cache snapshot counts when its config and all its weight files are there; huggingface_hub
  /// may have downloaded only some of them.
  static func isComplete(_ path: String, role: CheckpointRole) -> Bool {
    guard FileSystem.isFile(FileSystem.join(path, role.configName)) else { return false }
    do {
      let linkRoot = path.firstRange(of: "/snapshots/").map { String(path[..<$0.lowerBound]) }
      _ = try FolderLayout.findWeights(
        in: path, stem: role == .model ? FolderLayout.modelWeightsStem : FolderLayout.adapterWeightsStem,
        allowShards: role == .model, linkRoot: linkRoot)
      return true
    } catch LayoutError.noWeights, LayoutError.missingShard, LayoutError.unsupportedPickle {
      return false
    } catch {
      // A broken index is reported by the open that follows, as for a folder.
      return true
    }
  }

  /// Opens a snapshot of Adaptest's header cache.
  static func openHeaders(
    _ manifest: HeaderCache.Manifest, in folder: String, reference: ModelReference, origin: ResolvedCheckpoint.Origin
  ) throws -> ResolvedCheckpoint {
    let configPath = FileSystem.join(folder, manifest.config)
    let json = try readJSON(path: configPath)
    guard let config = json.objectValue else {
      throw LayoutError.invalidField(path: configPath, field: "(root)", detail: "expected an object, found \(json.typeName)")
    }
    let index = try manifest.index.map { try ShardIndex.read(path: FileSystem.join(folder, $0)) }
    var files: [any TensorFileReader] = []
    for file in manifest.files {
      let path = FileSystem.join(folder, file.name)
      let prefix = try FileSystem.read(path + HeaderCache.headerSuffix)
      files.append(try SafeTensorsFile(headerPrefix: OwnedBytes(prefix), fileSize: file.size, path: path))
    }
    return ResolvedCheckpoint(
      reference: reference, role: manifest.config == FolderLayout.adapterConfig ? .adapter : .model, origin: origin,
      path: folder, configPath: configPath, config: config,
      weights: try Checkpoint(files: files, index: index, format: .safetensors))
  }

  // MARK: Fetching

  private func httpClient() -> HubClient {
    if let client { return client }
    let made = HubClient(environment: environment, options: options)
    client = made
    return made
  }

  /// Fetches the config, the index if any and every safetensors header, stores them in `cache`
  /// and opens them from there (so a first and a second check read the same bytes).
  private func fetch(_ hub: HubReference, role: CheckpointRole, cache: HeaderCache) async throws -> ResolvedCheckpoint {
    let client = httpClient()
    var fetched = 0
    let configFile = hub.filePath(role.configName)
    let configAnswer = try await client.fetch(
      repo: hub.repo, revision: hub.effectiveRevision, file: configFile, range: nil, limit: Self.textLimit + 1)
    fetched += configAnswer.bytes.count
    guard configAnswer.bytes.count <= Self.textLimit else {
      throw HubError.fileTooLarge(repo: hub.repo, file: configFile, limit: Self.textLimit)
    }
    guard let commit = configAnswer.commit ?? (Self.isCommitHash(hub.effectiveRevision) ? hub.effectiveRevision : nil),
      HeaderCache.isCommitName(commit)
    else {
      throw HubError.missingCommit(repo: hub.repo, file: configFile)
    }
    var texts = [role.configName: configAnswer.bytes]
    var manifest = HeaderCache.Manifest(config: role.configName, index: nil, files: [])
    let snapshot = cache.folder(of: hub, commit: commit)

    // Which weight files: an index wins over a single file, as in transformers.
    let single = (role == .model ? FolderLayout.modelWeightsStem : FolderLayout.adapterWeightsStem) + ".safetensors"
    var names = [single]
    var looked = [String]()
    if role == .model {
      let indexName = single + ".index.json"
      looked.append(indexName)
      if let index = try await optionalFile(hub, commit: commit, name: indexName, client: client, fetched: &fetched) {
        texts[indexName] = index
        manifest.index = indexName
        // Decoded here to learn the shards; read again from the cache, under its real path.
        let shards = try index.withUnsafeBytes { raw in
          try ShardIndex.decode(raw, path: FileSystem.join(snapshot, indexName)).shards
        }
        for shard in shards where !HeaderCache.Manifest.isPlainName(shard) {
          throw LayoutError.shardOutsideFolder(index: FileSystem.join(snapshot, indexName), shard: shard)
        }
        names = shards
      }
    }
    // Shards are read a few at a time: each costs a redirect and a CDN request.
    var reads = [HeaderRead?](repeating: nil, count: names.count)
    do {
      try await withThrowingTaskGroup(of: (Int, HeaderRead).self) { group in
        var next = 0
        func start() {
          let (position, name) = (next, names[next])
          next += 1
          group.addTask { (position, try await Self.readHeader(name, of: hub, at: commit, client: client)) }
        }
        while next < min(Self.parallelReads, names.count) { start() }
        while let (position, read) = try await group.next() {
          reads[position] = read
          if next < names.count { start() }
        }
      }
    } catch HubError.notFound(_, _, _, let code) where manifest.index == nil && code != "RepoNotFound" && code != "RevisionNotFound" {
      throw HubError.noSafetensorsWeights(repo: hub.repo, revision: hub.effectiveRevision, looked: looked + names)
    }
    var headers: [String: [UInt8]] = [:]
    for (name, read) in zip(names, reads) {
      guard let read else { continue }
      fetched += read.fetched
      headers[name] = read.prefix
      manifest.files.append((name, read.size))
    }
    try cache.store(manifest, texts: texts, headers: headers, reference: hub, commit: commit)
    return try Self.openHeaders(manifest, in: snapshot, reference: .hub(hub), origin: .hub(commit: commit, fetchedBytes: fetched))
  }

  /// Safetensors files whose headers are fetched at once.
  static let parallelReads = 8

  /// A safetensors file's first bytes, its size and what reading them cost.
  struct HeaderRead: Sendable {
    var prefix: [UInt8]
    var size: Int
    var fetched: Int
  }

  /// Reads the 8-byte length and the header of one safetensors file: a first range request of
  /// ``headerProbe`` bytes (huggingface_hub's own metadata reader asks for 100,000), and a second
  /// for the rest of a longer header.
  static func readHeader(_ name: String, of hub: HubReference, at commit: String, client: HubClient) async throws
    -> HeaderRead
  {
    let file = hub.filePath(name)
    let probe = try await client.fetch(
      repo: hub.repo, revision: commit, file: file, range: 0..<headerProbe, limit: headerProbe)
    var fetched = probe.bytes.count
    guard let size = probe.fileSize else {
      throw HubError.badResponse(repo: hub.repo, file: file, detail: "no file size (Content-Range or Content-Length)")
    }
    var prefix = probe.bytes
    if prefix.count >= 8 {
      // The whole header when it fits the file; otherwise what there is, and the reader reports
      // the bad length as it would for a local file.
      let claimed = prefix.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
      let wanted = claimed <= SafeTensorsFile.maxHeaderLength ? min(8 + Int(claimed), size) : min(8, size)
      if wanted > prefix.count {
        let rest = try await client.fetch(
          repo: hub.repo, revision: commit, file: file, range: prefix.count..<wanted, limit: wanted - prefix.count)
        fetched += rest.bytes.count
        guard rest.bytes.count == wanted - prefix.count else {
          throw HubError.badResponse(
            repo: hub.repo, file: file, detail: "asked for \(wanted - prefix.count) bytes, got \(rest.bytes.count)")
        }
        prefix += rest.bytes
      } else {
        prefix = Array(prefix.prefix(wanted))
      }
    } else if prefix.count < min(8, size) {
      throw HubError.badResponse(repo: hub.repo, file: file, detail: "fewer bytes than the 8-byte header length")
    }
    return HeaderRead(prefix: prefix, size: size, fetched: fetched)
  }

  /// A small file that may be absent (404 for the file, not for the repository or revision).
  private func optionalFile(_ hub: HubReference, commit: String, name: String, client: HubClient, fetched: inout Int)
    async throws -> [UInt8]?
  {
    let file = hub.filePath(name)
    do {
      let answer = try await client.fetch(repo: hub.repo, revision: commit, file: file, range: nil, limit: Self.textLimit + 1)
      fetched += answer.bytes.count
      guard answer.bytes.count <= Self.textLimit else {
        throw HubError.fileTooLarge(repo: hub.repo, file: file, limit: Self.textLimit)
      }
      return answer.bytes
    } catch HubError.notFound(_, _, _, let code) where code != "RepoNotFound" && code != "RevisionNotFound" {
      return nil
    }
  }

  /// huggingface_hub's `REGEX_COMMIT_HASH`: 40 lowercase hex digits.
  static func isCommitHash(_ text: String) -> Bool {
    text.utf8.count == 40 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
  }
}
