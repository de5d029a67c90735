import AdapterLoading
import Checkpoints
import Foundation
import SafeTensors
import TensorIO
import TestSupport
import Testing

@testable import ModelReferences

/// The outcome of `check` through every route — folder, Hugging Face cache, Hub headers, Adaptest's
/// header cache — is the outcome of the same files given as folders.
@Suite(.serialized) struct RoutesTests {
  static let baseCommit = String(repeating: "ab", count: 20)
  static let adapterCommit = String(repeating: "cd", count: 20)

  static let specs = [(Pairs.shardedClean, LoadOutcome.Status.clean), (Pairs.vocabMismatch, .fails)]

  static func environment(_ scratch: TemporaryDirectory, endpoint: String = "http://127.0.0.1:9", _ extra: [String: String] = [:])
    -> HubEnvironment
  {
    HubEnvironment(
      [
        "HOME": scratch.file("home"), "HF_HUB_CACHE": scratch.file("hf"), "ADAPTEST_HUB_CACHE": scratch.file("adaptest"),
        "HF_ENDPOINT": endpoint, "HF_TOKEN_PATH": scratch.file("no-token"),
        // The loopback Hub shares two cores with the rest of the suite: the default 10 s read window
        // measured the machine's load, not the client (tests of timeouts pass their own).
        "HF_HUB_DOWNLOAD_TIMEOUT": "120",
      ].merging(extra) { $1 })
  }

  static var fast: HubClient.Options {
    var options = HubClient.Options()
    options.initialBackoff = .milliseconds(10)
    options.maxAttempts = 3
    return options
  }

  /// Resolves a base and an adapter with one resolver, shut down afterwards.
  static func resolve(_ base: String, _ adapter: String, _ environment: HubEnvironment) async throws
    -> (base: ResolvedCheckpoint, adapter: ResolvedCheckpoint)
  {
    let resolver = ModelResolver(environment: environment, options: fast)
    do {
      let b = try await resolver.resolve(try ModelReference.parse(base), as: .model)
      let a = try await resolver.resolve(try ModelReference.parse(adapter), as: .adapter)
      await resolver.shutdown()
      return (b, a)
    } catch {
      await resolver.shutdown()
      throw error
    }
  }

  static func folderOutcome(_ pair: String, _ scratch: TemporaryDirectory) async throws -> (json: String, status: LoadOutcome.Status) {
    let folders = try await resolve(
      FileSystem.join(pair, "base"), FileSystem.join(pair, "adapter"), environment(scratch))
    #expect(folders.base.origin == .folder)
    return try Pairs.outcome(base: folders.base, adapter: folders.adapter)
  }

  // MARK: Hugging Face cache

  @Test(arguments: specs)
  func huggingFaceCacheMatchesTheFolders(spec: String, status: LoadOutcome.Status) async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(spec, to: pair)
    let expected = try await Self.folderOutcome(pair, scratch)
    #expect(expected.status == status)

    try Pairs.cache(FileSystem.join(pair, "base"), as: "org/base", commit: Self.baseCommit, in: scratch.file("hf"))
    try Pairs.cache(FileSystem.join(pair, "adapter"), as: "org/adapter", commit: Self.adapterCommit, in: scratch.file("hf"))
    // The endpoint is a closed port: the cache must be used without asking.
    let cached = try await Self.resolve("org/base", "hf://org/adapter@main", Self.environment(scratch))
    #expect(cached.base.origin == .huggingFaceCache(commit: Self.baseCommit))
    #expect(cached.adapter.origin == .huggingFaceCache(commit: Self.adapterCommit))
    #expect(try Pairs.outcome(base: cached.base, adapter: cached.adapter).json == expected.json)
    // The files are read through the snapshot's symbolic links into blobs/.
    let shard = try #require(cached.base.weights.files.first?.path)
    #expect(FileSystem.kind(of: shard, followLinks: false) == .other)
  }

  @Test func cacheSubfoldersCommitsAndOfflineMisses() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.shardedClean, to: pair)
    let expected = try await Self.folderOutcome(pair, scratch)
    let hf = scratch.file("hf")
    try Pairs.cache(FileSystem.join(pair, "base"), as: "org/pair", commit: Self.baseCommit, in: hf, subfolder: "base")
    try Pairs.cache(FileSystem.join(pair, "adapter"), as: "org/pair", commit: Self.baseCommit, in: hf, subfolder: "adapter")
    let offline = Self.environment(scratch, ["HF_HUB_OFFLINE": "1"])
    let cached = try await Self.resolve("org/pair/base", "org/pair@\(Self.baseCommit)/adapter", offline)
    #expect(try Pairs.outcome(base: cached.base, adapter: cached.adapter).json == expected.json)

    // A revision the cache has no ref for is not in the cache; offline, that is the error.
    await #expect {
      _ = try await Self.resolve("org/pair@v2/base", "org/pair/adapter", offline)
    } throws: { error in
      guard case .offline(let reference, _)? = error as? HubError else { return false }
      return reference == "hf://org/pair@v2/base"
    }
    // A snapshot missing a shard (huggingface_hub fetched only some files) is not used.
    let snapshotBase = FileSystem.join(hf, "models--org--pair", "snapshots", Self.baseCommit, "base")
    try FileManager.default.removeItem(atPath: FileSystem.join(snapshotBase, "model-00002-of-00003.safetensors"))
    await #expect(throws: HubError.self) { _ = try await Self.resolve("org/pair/base", "org/pair/adapter", offline) }
  }

  // MARK: The Hub

  static func hub(_ pair: String, gated: Bool = false, throttleOnce: Set<String> = []) async throws -> FakeHub {
    try await FakeHub(
      repos: [
        "org/base": .init(folder: FileSystem.join(pair, "base"), commit: baseCommit, gated: gated),
        "org/adapter": .init(folder: FileSystem.join(pair, "adapter"), commit: adapterCommit),
        "org/pair": .init(folder: pair, commit: baseCommit),
        "org/config-only": .init(folder: FileSystem.join(pair, "config-only"), commit: adapterCommit),
      ], renames: ["org/old-base": "org/base", "org/loop": "org/loop"], throttleOnce: throttleOnce)
  }

  @Test(arguments: specs)
  func hubHeadersMatchTheFoldersAndASecondCheckIsOffline(spec: String, status: LoadOutcome.Status) async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(spec, to: pair)
    let expected = try await Self.folderOutcome(pair, scratch)
    let hub = try await Self.hub(pair)
    let environment = Self.environment(scratch, endpoint: hub.endpoint)
    let first: (base: ResolvedCheckpoint, adapter: ResolvedCheckpoint)
    do {
      first = try await Self.resolve("org/base", "hf://org/adapter", environment)
      await hub.stop()
    } catch {
      await hub.stop()
      throw error
    }
    #expect(first.base.origin == .hub(commit: Self.baseCommit, fetchedBytes: first.base.fetchedBytes))
    #expect(first.base.fetchedBytes > 0)
    #expect(try Pairs.outcome(base: first.base, adapter: first.adapter).json == expected.json)
    // Every byte fetched is counted; tensor data was never asked for.
    #expect(first.base.fetchedBytes + first.adapter.fetchedBytes == hub.bodyBytes)
    for request in hub.log where request.path.hasSuffix(".safetensors") {
      #expect(request.range != nil, "\(request.path) was asked for whole")
    }
    #expect(hub.log.filter { $0.path.hasPrefix("/cdn/") }.allSatisfy { !$0.authorized })
    #expect(hub.log.contains { $0.status == 302 })

    // The server is gone: the second check reads Adaptest's cache, fetching nothing.
    let second = try await Self.resolve("org/base", "hf://org/adapter", environment)
    #expect(second.base.origin == .hub(commit: Self.baseCommit, fetchedBytes: 0))
    #expect(second.adapter.origin == .hub(commit: Self.adapterCommit, fetchedBytes: 0))
    #expect(try Pairs.outcome(base: second.base, adapter: second.adapter).json == expected.json)
    #expect(try Pairs.outcome(base: second.base, adapter: second.adapter).status == status)
  }

  @Test func subfoldersAndCommitRevisionsOnTheHub() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.vocabMismatch, to: pair)
    let expected = try await Self.folderOutcome(pair, scratch)
    let hub = try await Self.hub(pair)
    defer { Task { await hub.stop() } }
    let resolved = try await Self.resolve(
      "hf://org/pair/base", "org/pair@\(Self.baseCommit)/adapter", Self.environment(scratch, endpoint: hub.endpoint))
    #expect(try Pairs.outcome(base: resolved.base, adapter: resolved.adapter).json == expected.json)
    // After main resolved to its commit, files are asked for at that commit.
    let shardRequests = hub.log.filter { $0.path.contains("/resolve/") && $0.path.hasSuffix(".safetensors") }
    #expect(!shardRequests.isEmpty)
    #expect(shardRequests.allSatisfy { $0.path.contains("/resolve/\(Self.baseCommit)/") })
    await hub.stop()
  }

  @Test func renamedReposAreFollowedAndRedirectLoopsEnd() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.shardedClean, to: pair)
    let expected = try await Self.folderOutcome(pair, scratch)
    let hub = try await Self.hub(pair)
    defer { Task { await hub.stop() } }
    let environment = Self.environment(scratch, endpoint: hub.endpoint)
    let resolved = try await Self.resolve("org/old-base", "org/adapter", environment)
    #expect(try Pairs.outcome(base: resolved.base, adapter: resolved.adapter).json == expected.json)
    #expect(hub.log.contains { $0.path == "/org/old-base/resolve/main/config.json" && $0.status == 307 })
    let before = hub.log.count
    await #expect {
      _ = try await Self.resolve("org/loop", "org/adapter", environment)
    } throws: { error in
      guard case .badRedirect("org/loop", "config.json", _)? = error as? HubError else { return false }
      return true
    }
    #expect(hub.log.count - before == HubClient.Options().maxRedirects + 1)
    await hub.stop()
  }

  @Test func gatedReposNeedATokenWhichGoesToTheEndpointOnly() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.shardedClean, to: pair)
    let hub = try await Self.hub(pair, gated: true)
    defer { Task { await hub.stop() } }
    await #expect {
      _ = try await Self.resolve("org/base", "org/adapter", Self.environment(scratch, endpoint: hub.endpoint))
    } throws: { error in
      guard case .accessDenied(let repo, let file, 401, false, _, _)? = error as? HubError else { return false }
      let message = "\(error)"
      return repo == "org/base" && file == "config.json" && message.contains("HF_TOKEN") && message.contains("hf auth login")
    }
    // A wrong token: the message says so, and never shows it.
    await #expect {
      _ = try await Self.resolve(
        "org/base", "org/adapter", Self.environment(scratch, endpoint: hub.endpoint, ["HF_TOKEN": "hf_wrong_secret"]))
    } throws: { error in
      guard case .accessDenied(_, _, 401, true, _, _)? = error as? HubError else { return false }
      return !"\(error)".contains("hf_wrong_secret") && "\(error)".contains("request access")
    }
    // The token file is read when HF_TOKEN is unset.
    try AtomicFile.write(text: FakeHub.token + "\n", to: scratch.file("no-token"))
    let resolved = try await Self.resolve("org/base", "org/adapter", Self.environment(scratch, endpoint: hub.endpoint))
    #expect(resolved.base.weights.tensors.count > 0)
    let cdn = hub.log.filter { $0.path.hasPrefix("/cdn/") }
    #expect(!cdn.isEmpty && cdn.allSatisfy { !$0.authorized })
    await hub.stop()
  }

  @Test func tooManyRequestsIsRetried() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.shardedClean, to: pair)
    let throttled = ["/org/base/resolve/main/config.json", "/cdn/org/base/\(Self.baseCommit)/model-00002-of-00003.safetensors"]
    let hub = try await Self.hub(pair, throttleOnce: Set(throttled))
    defer { Task { await hub.stop() } }
    let expected = try await Self.folderOutcome(pair, scratch)
    let resolved = try await Self.resolve("org/base", "org/adapter", Self.environment(scratch, endpoint: hub.endpoint))
    #expect(try Pairs.outcome(base: resolved.base, adapter: resolved.adapter).json == expected.json)
    for path in throttled {
      #expect(hub.log.filter { $0.path == path }.map(\.status).prefix(2) == [429, path.hasPrefix("/cdn/") ? 206 : 200])
    }
    await hub.stop()
  }

  @Test func aProxyCarriesEveryRequestUnlessNoProxyNamesTheEndpoint() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.shardedClean, to: pair)
    let expected = try await Self.folderOutcome(pair, scratch)
    let hub = try await Self.hub(pair)
    defer { Task { await hub.stop() } }
    // The fake Hub listens on 127.0.0.1 only: at 127.0.0.2 only a proxy (the fake Hub itself,
    // answering CONNECT) can reach it.
    let port = try #require(hub.endpoint.split(separator: ":").last)
    let endpoint = "http://127.0.0.2:\(port)"
    let proxied = Self.environment(scratch, endpoint: endpoint, ["HTTP_PROXY": hub.endpoint])
    let resolved = try await Self.resolve("org/base", "org/adapter", proxied)
    #expect(try Pairs.outcome(base: resolved.base, adapter: resolved.adapter).json == expected.json)
    #expect(hub.connects.contains("127.0.0.2:\(port)"))
    // The CDN is reached through the proxy too.
    #expect(hub.connects.contains { $0.hasPrefix("127.0.0.1:") })
    let direct = Self.environment(
      scratch, endpoint: endpoint,
      ["HTTP_PROXY": hub.endpoint, "NO_PROXY": "127.0.0.2", "HF_HUB_DOWNLOAD_TIMEOUT": "1",
       "ADAPTEST_HUB_CACHE": scratch.file("other-cache")])
    let before = hub.connects.count
    await #expect(throws: HubError.self) { _ = try await Self.resolve("org/base", "org/adapter", direct) }
    #expect(hub.connects.count == before)
    await hub.stop()
  }

  @Test func aServerErrorIsRetriedABoundedNumberOfTimes() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.shardedClean, to: pair)
    let path = "/org/base/resolve/main/config.json"
    let hub = try await FakeHub(
      repos: ["org/base": .init(folder: FileSystem.join(pair, "base"), commit: Self.baseCommit)], unavailable: [path])
    defer { Task { await hub.stop() } }
    await #expect {
      _ = try await Self.resolve("org/base", "org/adapter", Self.environment(scratch, endpoint: hub.endpoint))
    } throws: { error in
      guard case .httpStatus("org/base", "config.json", 503, Self.fast.maxAttempts)? = error as? HubError else { return false }
      return "\(error)".contains("after \(Self.fast.maxAttempts) attempts")
    }
    #expect(hub.log.map(\.path) == Array(repeating: path, count: Self.fast.maxAttempts))
    await hub.stop()
  }

  @Test func missingReposRevisionsAndFilesAreNamed() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.shardedClean, to: pair)
    try FileSystem.createDirectory(FileSystem.join(pair, "config-only"))
    try FileManager.default.copyItem(
      atPath: FileSystem.join(pair, "base", "config.json"), toPath: FileSystem.join(pair, "config-only", "config.json"))
    let hub = try await Self.hub(pair)
    defer { Task { await hub.stop() } }
    let environment = Self.environment(scratch, endpoint: hub.endpoint)
    await #expect {
      _ = try await Self.resolve("org/nothing", "org/adapter", environment)
    } throws: { error in
      guard case .notFound("org/nothing", "main", "config.json", "RepoNotFound"?)? = error as? HubError else { return false }
      return "\(error)".contains("org/nothing")
    }
    await #expect {
      _ = try await Self.resolve("org/base@nope", "org/adapter", environment)
    } throws: { error in
      guard case .notFound("org/base", "nope", _, "RevisionNotFound"?)? = error as? HubError else { return false }
      return "\(error)".contains("nope")
    }
    await #expect {
      _ = try await Self.resolve("org/config-only", "org/adapter", environment)
    } throws: { error in
      guard case .noSafetensorsWeights("org/config-only", "main", let looked)? = error as? HubError else { return false }
      return looked == ["model.safetensors.index.json", "model.safetensors"]
    }
    await #expect {
      _ = try await Self.resolve("org/pair/nowhere", "org/adapter", environment)
    } throws: { error in
      guard case .notFound("org/pair", "main", "nowhere/config.json", "EntryNotFound"?)? = error as? HubError else { return false }
      return "\(error)".contains("nowhere/config.json")
    }
    await hub.stop()
  }

  @Test func aServerIgnoringRangesIsNotReadPastTheHeader() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    // One 256 KiB embedding: the file is larger than the first range asked for.
    _ = try Pairs.write(
      """
      {"id": "wide", "base": {"architecture": "llama", "config": {"vocab_size": 1024, "hidden_size": 64, "num_hidden_layers": 1}},
       "adapter": {"tuner": "LORA", "config": {"r": 4, "target_modules": ["q_proj"]}}}
      """, to: pair)
    let expected = try await Self.folderOutcome(pair, scratch)
    let weights = FileSystem.join(pair, "base", "model.safetensors")
    let size = try #require((try FileManager.default.attributesOfItem(atPath: weights)[.size] as? NSNumber)?.intValue)
    #expect(size > 4 * ModelResolver.headerProbe)
    let hub = try await FakeHub(repos: [
      "org/base": .init(folder: FileSystem.join(pair, "base"), commit: Self.baseCommit, ignoresRanges: true),
      "org/adapter": .init(folder: FileSystem.join(pair, "adapter"), commit: Self.adapterCommit),
    ])
    defer { Task { await hub.stop() } }
    let resolved = try await Self.resolve("org/base", "org/adapter", Self.environment(scratch, endpoint: hub.endpoint))
    #expect(try Pairs.outcome(base: resolved.base, adapter: resolved.adapter).json == expected.json)
    // The server sent the whole file; Adaptest read the first range's worth and the config.
    #expect(hub.log.contains { $0.path.hasSuffix("model.safetensors") && $0.status == 200 && $0.bodyBytes == size })
    #expect(resolved.base.fetchedBytes < ModelResolver.headerProbe + 4096)
    await hub.stop()
  }

  static func malformed() -> [String: [UInt8]] {
    func length(_ n: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } }
    let header = Array(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.utf8)
    return [
      "empty": [],
      "five bytes": [1, 2, 3, 4, 5],
      "header length 2^64-1": length(.max) + Array(repeating: 0x20, count: 8),
      "header longer than the file": length(100) + Array("{}".utf8),
      "data shorter than the header says": length(UInt64(header.count)) + header + [0, 0, 0],
      "data longer than the header says": length(UInt64(header.count)) + header + Array(repeating: 0, count: 9),
      "not JSON": length(4) + Array("{x:1".utf8),
    ]
  }

  @Test(arguments: malformed().keys.sorted())
  func malformedWeightsFailAsFromAFolder(name: String) async throws {
    let bytes = try #require(Self.malformed()[name])
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.shardedClean, to: pair)
    let weights = FileSystem.join(pair, "adapter", "adapter_model.safetensors")
    try AtomicFile.write(bytes, to: weights)
    let hub = try await Self.hub(pair)
    defer { Task { await hub.stop() } }
    let resolver = ModelResolver(environment: Self.environment(scratch, endpoint: hub.endpoint), options: Self.fast)
    func kind(_ reference: ModelReference) async -> SafeTensorsError.Kind? {
      do {
        _ = try await resolver.resolve(reference, as: .adapter)
        return nil
      } catch {
        return (error as? SafeTensorsError)?.kind
      }
    }
    let fromFolder = await kind(.folder(FileSystem.join(pair, "adapter")))
    let fromHub = await kind(.hub(try HubReference(repo: "org/adapter")))
    await resolver.shutdown()
    #expect(fromFolder != nil)
    #expect(fromHub == fromFolder, "\(name)")
    await hub.stop()
  }

  @Test func inspectTellsModelsFromAdapters() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.shardedClean, to: pair)
    let hub = try await Self.hub(pair)
    defer { Task { await hub.stop() } }
    let resolver = ModelResolver(environment: Self.environment(scratch, endpoint: hub.endpoint), options: Self.fast)
    let adapter = try await resolver.resolveModelOrAdapter(try HubReference(repo: "org/adapter"))
    let model = try await resolver.resolveModelOrAdapter(try HubReference(repo: "org/base"))
    // From Adaptest's cache this time, which remembers which it was.
    let again = try await resolver.resolveModelOrAdapter(try HubReference(repo: "org/adapter"))
    await resolver.shutdown()
    #expect(adapter.role == .adapter && model.role == .model && again.role == .adapter)
    #expect(again.fetchedBytes == 0)
    let folder = try ModelResolver.openFolder(
      FileSystem.join(pair, "base"), role: .model, reference: .folder(pair), origin: .folder)
    #expect(model.weights.tensors == folder.weights.tensors.reduce(into: TensorTable()) { table, entry in
      var moved = entry
      moved.file = FileSystem.join(model.path, FileSystem.lastComponent(entry.file))
      try? table.append(moved)
    })
    await hub.stop()
  }

  @Test func aRepoHoldingAModelAndAnAdapterIsCachedAsBoth() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.vocabMismatch, to: pair)
    let expected = try await Self.folderOutcome(pair, scratch)
    for name in try FileSystem.contents(ofDirectory: FileSystem.join(pair, "adapter")) {
      try FileManager.default.copyItem(
        atPath: FileSystem.join(pair, "adapter", name), toPath: FileSystem.join(pair, "base", name))
    }
    let hub = try await FakeHub(repos: ["org/both": .init(folder: FileSystem.join(pair, "base"), commit: Self.baseCommit)])
    defer { Task { await hub.stop() } }
    let environment = Self.environment(scratch, endpoint: hub.endpoint)
    let first = try await Self.resolve("org/both", "org/both", environment)
    let second = try await Self.resolve("org/both", "org/both", environment)
    await hub.stop()
    for resolved in [first, second] {
      #expect(resolved.base.role == .model && resolved.adapter.role == .adapter)
      #expect(try Pairs.outcome(base: resolved.base, adapter: resolved.adapter).json == expected.json)
    }
    #expect(first.base.fetchedBytes > 0 && first.adapter.fetchedBytes > 0)
    #expect(second.base.fetchedBytes == 0 && second.adapter.fetchedBytes == 0)
  }

  @Test func offlineNeverAsksTheHub() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.shardedClean, to: pair)
    let hub = try await Self.hub(pair)
    defer { Task { await hub.stop() } }
    await #expect(throws: HubError.self) {
      _ = try await Self.resolve("org/base", "org/adapter", Self.environment(scratch, endpoint: hub.endpoint, ["HF_HUB_OFFLINE": "1"]))
    }
    #expect(hub.log.isEmpty)
    await hub.stop()
  }

  /// `check` reads its base ahead through `resolveLocally`, off the actor: it must find what `resolve` finds
  /// before it would ask the Hub — folder, Hugging Face cache, Adaptest's header cache — and nothing else.
  @Test func resolvingLocallyFindsWhatResolveFindsBeforeTheHub() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.shardedClean, to: pair)
    let expected = try await Self.folderOutcome(pair, scratch)
    let hub = try await Self.hub(pair)
    let environment = Self.environment(scratch, endpoint: hub.endpoint)
    let resolver = ModelResolver(environment: environment, options: Self.fast)
    func local(_ text: String, as role: CheckpointRole) throws -> ResolvedCheckpoint? {
      try resolver.resolveLocally(try ModelReference.parse(text), as: role)
    }
    do {
      let folders = (try #require(try local(FileSystem.join(pair, "base"), as: .model)),
                     try #require(try local(FileSystem.join(pair, "adapter"), as: .adapter)))
      #expect(folders.0.origin == .folder)
      #expect(try Pairs.outcome(base: folders.0, adapter: folders.1).json == expected.json)
      // Only the Hub has these: nothing, and nothing asked of it.
      #expect(try local("org/base", as: .model) == nil)
      #expect(try local("org/adapter", as: .adapter) == nil)
      #expect(hub.log.isEmpty)
      // Fetched once, they are in Adaptest's header cache.
      _ = try await resolver.resolve(try ModelReference.parse("org/base"), as: .model)
      _ = try await resolver.resolve(try ModelReference.parse("org/adapter"), as: .adapter)
      let requests = hub.log.count
      let cached = (try #require(try local("org/base", as: .model)), try #require(try local("org/adapter", as: .adapter)))
      #expect(cached.0.origin == .hub(commit: Self.baseCommit, fetchedBytes: 0))
      #expect(try Pairs.outcome(base: cached.0, adapter: cached.1).json == expected.json)
      #expect(hub.log.count == requests)
      // And from the Hugging Face cache, which comes first.
      try Pairs.cache(FileSystem.join(pair, "base"), as: "org/base", commit: Self.baseCommit, in: scratch.file("hf"))
      #expect(try local("org/base", as: .model)?.origin == .huggingFaceCache(commit: Self.baseCommit))
      // Formats left out are refused, not read.
      var withoutSafetensors = CheckpointFormats.standard
      withoutSafetensors.openers[.safetensors] = nil
      #expect(throws: LayoutError.self) {
        _ = try resolver.resolveLocally(try ModelReference.parse(FileSystem.join(pair, "base")), as: .model, formats: withoutSafetensors)
      }
      await resolver.shutdown()
      await hub.stop()
    } catch {
      await resolver.shutdown()
      await hub.stop()
      throw error
    }
  }

  @Test func aClosedEndpointIsATransportErrorAfterRetries() async throws {
    let scratch = TemporaryDirectory("hub")
    // Port 9 on loopback: nothing listens; the client tries to connect until the timeout.
    await #expect {
      _ = try await Self.resolve("org/base", "org/adapter", Self.environment(scratch, ["HF_HUB_DOWNLOAD_TIMEOUT": "1"]))
    } throws: { error in
      guard case .transport("org/base", "config.json", _, 1)? = error as? HubError else { return false }
      return "\(error)".contains("HF_HUB_OFFLINE")
    }
  }
}
