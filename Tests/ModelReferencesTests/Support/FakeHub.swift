import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import TensorIO

/// A Hub on 127.0.0.1 that speaks the resolve protocol as huggingface.co does, serving folders on
/// disk: `GET /{org}/{name}/resolve/{revision}/{path}` answers with `X-Repo-Commit` and `ETag`;
/// safetensors files answer `302` to `/cdn/…` (as LFS files redirect to a CDN, with
/// `X-Linked-Size` and `X-Linked-Etag`), which serves byte ranges and sees no token; gated repos
/// answer `401` without the right token; paths listed in `throttleOnce` answer `429` once. It is
/// also its own HTTP proxy: a `CONNECT` to any address is answered `200` and the connection then
/// carries requests to this server, as a tunnel to it would.
final class FakeHub: Sendable {
  struct Repo: Sendable {
    var folder: String
    var commit: String
    var gated = false
    /// Answer every request with the whole file, as a server without range support does.
    var ignoresRanges = false
  }

  /// One request as the server saw it.
  struct Request: Sendable, Hashable {
    var path: String
    var range: String?
    var authorized: Bool
    var status: Int
    var bodyBytes: Int
  }

  static let token = "hf_test_token_0123456789"

  private let repos: [String: Repo]
  /// Renamed repos: old `org/name` → new, answered with a relative 307 as the Hub does.
  private let renames: [String: String]
  /// Paths that always answer 503.
  private let unavailable: Set<String>
  private let state = NIOLockedValueBox(State())
  private let channel: any Channel
  /// The CDN: the same files on another port, so another origin (no token must reach it).
  private let cdnChannel: any Channel

  private struct State {
    var log: [Request] = []
    var connects: [String] = []
    var throttle: Set<String> = []
  }

  /// The endpoint to put in `HF_ENDPOINT`.
  let endpoint: String

  /// Starts serving `repos` (keyed `org/name`) on a free loopback port.
  init(
    repos: [String: Repo], renames: [String: String] = [:], throttleOnce: Set<String> = [], unavailable: Set<String> = []
  ) async throws {
    self.repos = repos
    self.renames = renames
    self.unavailable = unavailable
    state.withLockedValue { $0.throttle = throttleOnce }
    let box = HandlerContext()
    func listen() async throws -> any Channel {
      try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in
          channel.eventLoop.makeCompletedFuture { try Handler.addHTTP(to: channel.pipeline.syncOperations, hub: box) }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    }
    channel = try await listen()
    cdnChannel = try await listen()
    endpoint = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)"
    cdn = "http://127.0.0.1:\(cdnChannel.localAddress?.port ?? 0)"
    box.hub.withLockedValue { $0 = self }
  }

  /// The CDN's origin.
  let cdn: String

  /// Stops listening (idempotent).
  func stop() async {
    try? await channel.close()
    try? await cdnChannel.close()
  }

  /// The targets of `CONNECT` requests so far (`host:port`).
  var connects: [String] { state.withLockedValue { $0.connects } }

  func recordConnect(_ target: String) { state.withLockedValue { $0.connects.append(target) } }

  /// Every request so far.
  var log: [Request] { state.withLockedValue { $0.log } }

  /// Bytes sent in response bodies so far.
  var bodyBytes: Int { log.reduce(0) { $0 + $1.bodyBytes } }

  // MARK: Answers

  struct Response {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders = [:]
    var body: [UInt8] = []
  }

  func respond(to head: HTTPRequestHead) -> Response {
    let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
    let authorized = head.headers.first(name: "Authorization") == "Bearer \(Self.token)"
    let range = head.headers.first(name: "Range")
    let response: Response
    if unavailable.contains(path) {
      response = Response(status: .serviceUnavailable, body: Array("down".utf8))
    } else if state.withLockedValue({ $0.throttle.remove(path) != nil }) {
      response = Response(status: .tooManyRequests, headers: ["Retry-After": "0"], body: Array("slow down".utf8))
    } else {
      response = answer(path: path, authorized: authorized, range: range)
    }
    state.withLockedValue {
      $0.log.append(
        Request(path: path, range: range, authorized: head.headers.contains(name: "Authorization"),
                status: Int(response.status.code), bodyBytes: response.body.count))
    }
    return response
  }

  private func answer(path: String, authorized: Bool, range: String?) -> Response {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
      String($0).removingPercentEncoding ?? String($0)
    }
    if parts.first == "cdn", parts.count >= 5 {
      // /cdn/{org}/{name}/{commit}/{path}: the file at that commit, no commit header, no auth.
      let repoName = parts[1] + "/" + parts[2]
      guard let repo = repos[repoName], repo.commit == parts[3] else { return Response(status: .notFound) }
      return serve(
        FileSystem.join(repo.folder, parts[4...].joined(separator: "/")), range: repo.ignoresRanges ? nil : range,
        headers: [:])
    }
    guard parts.count >= 5, parts[2] == "resolve" else { return Response(status: .notFound) }
    let repoName = parts[0] + "/" + parts[1]
    if let renamed = renames[repoName] {
      return Response(status: .temporaryRedirect, headers: ["Location": "/\(renamed)/" + parts[2...].joined(separator: "/")])
    }
    guard let repo = repos[repoName] else {
      // As the Hub: without a token, 401 (it might be private); with one, 404.
      return Response(status: authorized ? .notFound : .unauthorized, headers: ["X-Error-Code": "RepoNotFound"])
    }
    if repo.gated && !authorized {
      return Response(status: .unauthorized, headers: ["X-Error-Code": "GatedRepo"], body: Array("gated".utf8))
    }
    guard parts[3] == "main" || parts[3] == repo.commit else {
      return Response(status: .notFound, headers: ["X-Error-Code": "RevisionNotFound"])
    }
    let file = parts[4...].joined(separator: "/")
    let local = FileSystem.join(repo.folder, file)
    guard FileSystem.isFile(local), let size = Self.size(local) else {
      return Response(status: .notFound, headers: ["X-Error-Code": "EntryNotFound", "X-Repo-Commit": repo.commit])
    }
    let etag = "\"\(repo.commit.prefix(8))-\(size)\""
    if file.hasSuffix(".safetensors") {
      return Response(
        status: .found,
        headers: [
          "Location": "\(cdn)/cdn/\(repoName)/\(repo.commit)/\(file)", "X-Repo-Commit": repo.commit,
          "X-Linked-Etag": etag, "X-Linked-Size": String(size), "ETag": "\"pointer\"",
        ])
    }
    return serve(local, range: repo.ignoresRanges ? nil : range, headers: ["X-Repo-Commit": repo.commit, "ETag": etag])
  }

  /// The file, or the range `bytes=a-b` of it (206 with `Content-Range`).
  private func serve(_ path: String, range: String?, headers: HTTPHeaders) -> Response {
    guard let size = Self.size(path), let handle = FileHandle(forReadingAtPath: path) else {
      return Response(status: .notFound, headers: ["X-Error-Code": "EntryNotFound"])
    }
    defer { try? handle.close() }
    var headers = headers
    headers.add(name: "Accept-Ranges", value: "bytes")
    if let range, range.hasPrefix("bytes=") {
      let bounds = range.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
      guard bounds.count == 2, let start = Int(bounds[0]), start < size else {
        headers.add(name: "Content-Range", value: "bytes */\(size)")
        return Response(status: .rangeNotSatisfiable, headers: headers)
      }
      let end = min(Int(bounds[1]) ?? (size - 1), size - 1)
      try? handle.seek(toOffset: UInt64(start))
      let body = [UInt8]((try? handle.read(upToCount: end - start + 1)) ?? Data())
      headers.add(name: "Content-Range", value: "bytes \(start)-\(end)/\(size)")
      return Response(status: .partialContent, headers: headers, body: body)
    }
    // Whole files are configs and indexes only: a test asking for a whole shard is a failure.
    guard size < 64 << 20 else { return Response(status: .payloadTooLarge) }
    return Response(status: .ok, headers: headers, body: [UInt8]((try? handle.readToEnd()) ?? Data()))
  }

  private static func size(_ path: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
  }
}

/// The server's handlers reach the hub through this (set once the hub is made).
private final class HandlerContext: Sendable {
  let hub = NIOLockedValueBox<FakeHub?>(nil)
}

private final class Handler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let context: HandlerContext
  private var head: HTTPRequestHead?

  init(hub: HandlerContext) { context = hub }

  /// An HTTP/1.1 server's handlers (no pipelining: the client sends one request at a time).
  static func addHTTP(to pipeline: ChannelPipeline.SynchronousOperations, hub: HandlerContext) throws {
    try pipeline.addHandler(HTTPResponseEncoder())
    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
    try pipeline.addHandler(Handler(hub: hub))
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head): self.head = head
    case .body: break
    case .end:
      guard let head, let hub = self.context.hub.withLockedValue({ $0 }) else { return }
      self.head = nil
      if head.method == .CONNECT {
        tunnel(head, context: context, hub: hub)
        return
      }
      let response = hub.respond(to: head)
      var headers = response.headers
      headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
      context.write(
        wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))),
        promise: nil)
      if !response.body.isEmpty {
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
      }
      context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
  }

  /// Answers a `CONNECT` and turns the connection into a fresh HTTP connection to this server.
  private func tunnel(_ head: HTTPRequestHead, context: ChannelHandlerContext, hub: FakeHub) {
    hub.recordConnect(head.uri)
    let channel = context.channel
    let box = self.context
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: ["Content-Length": "0"]))),
      promise: nil)
    context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenSuccess {
      let pipeline = channel.pipeline.syncOperations
      do {
        _ = pipeline.removeHandler(context: try pipeline.context(handlerType: HTTPResponseEncoder.self))
        _ = pipeline.removeHandler(context: try pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self))
        _ = pipeline.removeHandler(context: try pipeline.context(handlerType: Handler.self))
        try Handler.addHTTP(to: pipeline, hub: box)
      } catch {
        channel.close(promise: nil)
      }
    }
  }
}
