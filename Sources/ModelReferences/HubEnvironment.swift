import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The settings huggingface_hub reads from the environment, read the same way (its
/// `constants.py` and `utils/_auth.py`), plus where Adaptest caches fetched headers.
public struct HubEnvironment: Sendable {
  /// The Hugging Face cache (`HF_HUB_CACHE`, else `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`).
  public var hubCache: String
  /// `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`.
  public var hfHome: String
  /// `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) is 1/ON/YES/TRUE: caches only.
  public var offline: Bool
  /// `HF_ENDPOINT` without a trailing `/`, default `https://huggingface.co`.
  public var endpoint: String
  /// `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`, else the token file, cleaned of spaces and newlines.
  public var token: HubToken?
  /// The token file: `HF_TOKEN_PATH`, else `$HF_HOME/token` (named in messages).
  public var tokenPath: String
  /// Seconds a request may wait for data (`HF_HUB_DOWNLOAD_TIMEOUT`, default 10 as in huggingface_hub).
  public var timeoutSeconds: Int
  /// The HTTP proxy for the endpoint, as `requests` (under huggingface_hub) picks it: `https_proxy`
  /// or `HTTPS_PROXY` for an `https` endpoint, `http_proxy` or `HTTP_PROXY` for `http`, unless
  /// `NO_PROXY` names the endpoint's host. Only `http://` proxies; the CDN the Hub redirects to is
  /// reached the same way.
  public var proxy: HubProxy?
  /// Where Adaptest keeps headers it fetched: `ADAPTEST_HUB_CACHE`, else
  /// `$XDG_CACHE_HOME/adaptest/hub`, else `~/.cache/adaptest/hub`.
  public var headerCache: String

  /// Reads `environment` (by default the process's).
  public init(_ environment: [String: String] = HubEnvironment.processEnvironment()) {
    func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
    let home = value("HOME") ?? "/"
    func expand(_ path: String) -> String {
      path == "~" ? home : path.hasPrefix("~/") ? FileSystem.join(home, String(path.dropFirst(2))) : path
    }
    let cacheHome = value("XDG_CACHE_HOME").map(expand) ?? FileSystem.join(home, ".cache")
    hfHome = expand(value("HF_HOME") ?? FileSystem.join(cacheHome, "huggingface"))
    hubCache = expand(value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") ?? FileSystem.join(hfHome, "hub"))
    offline = Self.isTrue(value("HF_HUB_OFFLINE") ?? value("TRANSFORMERS_OFFLINE"))
    var endpoint = value("HF_ENDPOINT") ?? "https://huggingface.co"
    while endpoint.hasSuffix("/") { endpoint.removeLast() }
    self.endpoint = endpoint
    tokenPath = expand(value("HF_TOKEN_PATH") ?? FileSystem.join(hfHome, "token"))
    if let fromEnvironment = HubToken(cleaning: value("HF_TOKEN") ?? value("HUGGING_FACE_HUB_TOKEN")) {
      token = fromEnvironment
    } else if let bytes = try? FileSystem.read(tokenPath) {
      token = HubToken(cleaning: String(decoding: bytes, as: UTF8.self))
    } else {
      token = nil
    }
    proxy = HubProxy(endpoint: endpoint, environment: environment)
    timeoutSeconds = value("HF_HUB_DOWNLOAD_TIMEOUT").flatMap { Int($0) }.map { max(1, $0) } ?? 10
    headerCache = expand(value("ADAPTEST_HUB_CACHE") ?? FileSystem.join(cacheHome, "adaptest", "hub"))
  }

  /// huggingface_hub's `_is_true`.
  static func isTrue(_ value: String?) -> Bool {
    guard let value else { return false }
    return ["1", "ON", "YES", "TRUE"].contains(value.uppercased())
  }

  /// The current process's environment.
  public static func processEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var index = 0
    while let entry = environ[index] {
      let text = String(cString: entry)
      if let equals = text.firstIndex(of: "=") {
        result[String(text[..<equals])] = String(text[text.index(after: equals)...])
      }
      index += 1
    }
    return result
  }
}

/// An HTTP proxy from the environment. Its description hides any credentials.
public struct HubProxy: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
  public var host: String
  public var port: Int
  /// `user:password` from the proxy URL, for `Proxy-Authorization`.
  let credentials: Credentials?

  struct Credentials: Sendable, Hashable {
    var user: String
    var password: String
  }

  /// The proxy for `endpoint`, or `nil` when none is set, `NO_PROXY` names the endpoint's host,
  /// or the proxy URL is not `http://[user:password@]host[:port]`.
  init?(endpoint: String, environment: [String: String]) {
    func value(_ name: String) -> String? {
      // Lower case first, as Python's urllib reads them.
      (environment[name.lowercased()] ?? environment[name]).flatMap { $0.isEmpty ? nil : $0 }
    }
    let secure = endpoint.lowercased().hasPrefix("https://")
    guard let url = value(secure ? "HTTPS_PROXY" : "HTTP_PROXY") else { return nil }
    let host = Self.host(of: endpoint)
    if let excluded = value("NO_PROXY") {
      for entry in excluded.split(separator: ",").map({ String($0).trimmingSpaces() }) where !entry.isEmpty {
        let name = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
        if name == "*" || host == name || host.hasSuffix("." + name) { return nil }
      }
    }
    var rest = Substring(url)
    if rest.lowercased().hasPrefix("http://") {
      rest = rest.dropFirst(7)
    } else if rest.contains("://") {
      return nil
    }
    rest = rest.prefix { $0 != "/" }
    if let at = rest.lastIndex(of: "@") {
      let user = rest[..<at]
      let colon = user.firstIndex(of: ":") ?? user.endIndex
      credentials = Credentials(
        user: String(user[..<colon]), password: colon == user.endIndex ? "" : String(user[user.index(after: colon)...]))
      rest = rest[rest.index(after: at)...]
    } else {
      credentials = nil
    }
    if let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) {
      self.host = String(rest[..<colon])
      self.port = port
    } else {
      self.host = String(rest)
      port = 80
    }
    guard !self.host.isEmpty, (1...65535).contains(port) else { return nil }
  }

  /// The host of a URL, lower-cased, without port or credentials.
  static func host(of url: String) -> String {
    var rest = Substring(url)
    if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
    rest = rest.prefix { $0 != "/" }
    if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
    if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") { rest = rest[..<colon] }
    return rest.lowercased()
  }

  public var description: String { "http://\(credentials == nil ? "" : "<credentials>@")\(host):\(port)" }
  // `dump` and test failure messages go through the mirror: no credentials in it.
  public var customMirror: Mirror { Mirror(self, children: ["host": host, "port": port], displayStyle: .struct) }
}

/// A Hub access token. Its description never shows it, so it cannot reach a message or a report.
public struct HubToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
  /// The secret, for the `Authorization` header only.
  let secret: String

  /// huggingface_hub's `_clean_token`: newlines removed, spaces trimmed, empty is none.
  init?(cleaning raw: String?) {
    guard let raw else { return nil }
    let cleaned = String(raw.filter { $0 != "\r" && $0 != "\n" }).trimmingSpaces()
    guard !cleaned.isEmpty else { return nil }
    secret = cleaned
  }

  public var description: String { "<token>" }
  public var debugDescription: String { "<token>" }
  // `dump` and test failure messages go through the mirror: keep the secret out of it too.
  public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension String {
  fileprivate func trimmingSpaces() -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first...last])
  }
}
