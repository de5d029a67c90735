import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Reads files of Hub repositories through the resolve endpoint
/// (`{endpoint}/{repo}/resolve/{revision}/{file}`), whole or as byte ranges.
///
/// Redirects are followed here rather than by the HTTP client, so that the Hub's own answer's
/// `X-Repo-Commit` and ETag are kept (the CDN the Hub redirects to sends neither) and the token
/// goes to the endpoint's host only. 429 and 5xx answers are retried with exponential backoff (or
/// after `Retry-After`), a bounded number of times; the HTTP client retries connecting until the
/// timeout (`HF_HUB_DOWNLOAD_TIMEOUT`) on its own.
public final class HubClient: Sendable {
  /// Retry, redirect and timeout limits.
  public struct Options: Sendable {
    /// Tries per request, the first included.
    public var maxAttempts = 5
    /// Wait before the first retry; doubled for each further one, up to ``maxBackoff``.
    public var initialBackoff: Duration = .milliseconds(500)
    public var maxBackoff: Duration = .seconds(8)
    /// A `Retry-After` longer than this is cut to it.
    public var maxRetryAfter: Duration = .seconds(30)
    /// Redirects followed per request.
    public var maxRedirects = 5

    public init() {}
  }

  /// One answer: the bytes read and what the Hub said about the file.
  struct Answer: Sendable {
    /// The body, or its first bytes for a range or a capped read.
    var bytes: [UInt8]
    /// The whole file's size, from `Content-Range` (206) or `Content-Length` (200), if sent.
    var fileSize: Int?
    /// `X-Repo-Commit` of the Hub's answer.
    var commit: String?
    /// `X-Linked-Etag`, else `ETag`, of the Hub's answer.
    var etag: String?
  }

  let environment: HubEnvironment
  let options: Options
  private let http: HTTPClient

  /// A client for `environment`'s endpoint, token and timeout. Call ``shutdown()`` when done.
  public init(environment: HubEnvironment, options: Options = Options()) {
    self.environment = environment
    self.options = options
    let timeout = TimeAmount.seconds(Int64(environment.timeoutSeconds))
    var configuration = HTTPClient.Configuration(
      redirectConfiguration: .disallow, timeout: .init(connect: timeout, read: timeout))
    if let proxy = environment.proxy {
      configuration.proxy = .server(
        host: proxy.host, port: proxy.port,
        authorization: proxy.credentials.map { .basic(username: $0.user, password: $0.password) })
    }
    configuration.httpVersion = .automatic
    http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
  }

  /// Closes the connections. Call once, when done.
  public func shutdown() async {
    try? await http.shutdown()
  }

  /// The resolve URL of `file` (a path inside the repository) at `revision`, quoted as
  /// huggingface_hub's `hf_hub_url` quotes it.
  func resolveURL(repo: String, revision: String, file: String) -> String {
    "\(environment.endpoint)/\(repo)/resolve/\(Self.percentEncode(revision, keepSlash: false))/"
      + Self.percentEncode(file, keepSlash: true)
  }

  /// Fetches `file`: bytes `range` of it, or the whole file, reading at most `limit` bytes of the
  /// body (a server that ignores the range is not read to its end).
  /// - Throws: ``HubError``.
  func fetch(repo: String, revision: String, file: String, range: Range<Int>?, limit: Int) async throws -> Answer {
    var url = resolveURL(repo: repo, revision: revision, file: file)
    var hubAnswer: HTTPHeaders?
    for _ in 0...options.maxRedirects {
      var request = HTTPClientRequest(url: url)
      request.headers.add(name: "User-Agent", value: "adaptest")
      if let range { request.headers.add(name: "Range", value: "bytes=\(range.lowerBound)-\(range.upperBound - 1)") }
      // The token goes to the endpoint only, never to the CDN a resolve redirects to.
      if let token = environment.token, Self.origin(of: url) == Self.origin(of: environment.endpoint) {
        request.headers.add(name: "Authorization", value: "Bearer \(token.secret)")
      }
      let response = try await executeRetrying(request, repo: repo, file: file)
      // The Hub's own answer is the last one from the endpoint (after relative redirects of a
      // renamed repo, before the CDN), as huggingface_hub reads it.
      if hubAnswer == nil || Self.origin(of: url) == Self.origin(of: environment.endpoint) { hubAnswer = response.headers }
      let status = Int(response.status.code)
      switch status {
      case 301, 302, 303, 307, 308:
        _ = try? await response.body.collect(upTo: 1 << 16)
        guard let location = response.headers.first(name: "Location"), let next = Self.resolve(location, against: url)
        else { throw HubError.badRedirect(repo: repo, file: file, detail: "HTTP \(status) without a usable Location") }
        url = next
        continue
      case 200, 206:
        var answer = Answer(bytes: [], fileSize: nil, commit: nil, etag: nil)
        let hubHeaders = hubAnswer ?? response.headers
        answer.commit = hubHeaders.first(name: "X-Repo-Commit")
        answer.etag = hubHeaders.first(name: "X-Linked-Etag") ?? hubHeaders.first(name: "ETag")
        if status == 206 {
          guard let total = response.headers.first(name: "Content-Range").flatMap(Self.totalSize) else {
            throw HubError.badResponse(repo: repo, file: file, detail: "206 without a Content-Range size")
          }
          answer.fileSize = total
        } else {
          answer.fileSize =
            hubHeaders.first(name: "X-Linked-Size").flatMap { Int($0) }
            ?? response.headers.first(name: "Content-Length").flatMap { Int($0) }
        }
        answer.bytes = try await read(response.body, limit: limit, repo: repo, file: file)
        return answer
      case 416 where range != nil:
        // Nothing at the range's start: an empty (or very short) file. Its size lets the reader
        // report it as it would a local file of that size.
        _ = try? await response.body.collect(upTo: 1 << 16)
        guard let total = response.headers.first(name: "Content-Range").flatMap(Self.totalSize) else {
          throw HubError.badResponse(repo: repo, file: file, detail: "416 without a Content-Range size")
        }
        let hubHeaders = hubAnswer ?? response.headers
        return Answer(
          bytes: [], fileSize: total, commit: hubHeaders.first(name: "X-Repo-Commit"),
          etag: hubHeaders.first(name: "X-Linked-Etag") ?? hubHeaders.first(name: "ETag"))
      case 401, 403:
        _ = try? await response.body.collect(upTo: 1 << 16)
        // The Hub answers 401 for a repo that does not exist as for one the caller may not see.
        if response.headers.first(name: "X-Error-Code") == "RepoNotFound" {
          throw HubError.notFound(repo: repo, revision: revision, file: file, code: "RepoNotFound")
        }
        throw HubError.accessDenied(
          repo: repo, file: file, status: status, hadToken: environment.token != nil,
          tokenPath: environment.tokenPath, endpoint: environment.endpoint)
      case 404:
        _ = try? await response.body.collect(upTo: 1 << 16)
        throw HubError.notFound(
          repo: repo, revision: revision, file: file, code: response.headers.first(name: "X-Error-Code"))
      default:
        _ = try? await response.body.collect(upTo: 1 << 16)
        throw HubError.httpStatus(repo: repo, file: file, status: status, attempts: 1)
      }
    }
    throw HubError.badRedirect(repo: repo, file: file, detail: "more than \(options.maxRedirects) redirects")
  }

  /// Up to `limit` bytes of the body; the rest is not read.
  private func read(_ body: HTTPClientResponse.Body, limit: Int, repo: String, file: String) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    do {
      for try await buffer in body {
        let take = min(buffer.readableBytes, limit - bytes.count)
        bytes += buffer.getBytes(at: buffer.readerIndex, length: take) ?? []
        if bytes.count >= limit { break }
      }
    } catch {
      throw HubError.transport(repo: repo, file: file, detail: "\(error)", attempts: 1)
    }
    return bytes
  }

  /// Sends `request`, again after 429, 5xx or a failed connection, waiting longer each time.
  private func executeRetrying(_ request: HTTPClientRequest, repo: String, file: String) async throws
    -> HTTPClientResponse
  {
    var wait = options.initialBackoff
    var attempt = 1
    while true {
      let deadline = NIODeadline.now() + .seconds(Int64(environment.timeoutSeconds))
      let delay: Duration
      do {
        let response = try await http.execute(request, deadline: deadline)
        let status = Int(response.status.code)
        guard status == 429 || (500...599).contains(status) else { return response }
        _ = try? await response.body.collect(upTo: 1 << 16)
        guard attempt < options.maxAttempts else {
          throw HubError.httpStatus(repo: repo, file: file, status: status, attempts: attempt)
        }
        let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }.map { Duration.seconds($0) }
        delay = retryAfter.map { min($0, options.maxRetryAfter) } ?? wait
      } catch let error as HubError {
        throw error
      } catch {
        // Not retried here: the HTTP client already keeps trying to connect until the deadline.
        throw HubError.transport(repo: repo, file: file, detail: "\(error)", attempts: attempt)
      }
      try await Task.sleep(for: delay)
      wait = min(wait * 2, options.maxBackoff)
      attempt += 1
    }
  }

  /// `bytes 0-7/1234` → 1234.
  static func totalSize(_ contentRange: String) -> Int? {
    guard let slash = contentRange.lastIndex(of: "/") else { return nil }
    return Int(contentRange[contentRange.index(after: slash)...])
  }

  /// `scheme://host[:port]` of a URL.
  static func origin(of url: String) -> String {
    let parts = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
    // "https:", "", "host:port", rest
    guard parts.count >= 3, parts[0].hasSuffix(":"), parts[1].isEmpty else { return url }
    return (parts[0] + "//" + parts[2]).lowercased()
  }

  /// A `Location` made absolute: absolute URLs as they are, `/path` on the current origin,
  /// anything else relative to the current path.
  static func resolve(_ location: String, against url: String) -> String? {
    if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
    if location.contains(":") && !location.hasPrefix("/") && !location.hasPrefix(".") { return nil }
    if location.hasPrefix("//") { return nil }
    if location.hasPrefix("/") { return origin(of: url) + location }
    guard let slash = url.lastIndex(of: "/"), !location.isEmpty else { return nil }
    return String(url[...slash]) + location
  }

  /// Python's `urllib.parse.quote`: letters, digits and `_.-~` stay, `/` too with `keepSlash`.
  static func percentEncode(_ text: String, keepSlash: Bool) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
        UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "~"):
        out.append(byte)
      case UInt8(ascii: "/") where keepSlash:
        out.append(byte)
      default:
        out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
