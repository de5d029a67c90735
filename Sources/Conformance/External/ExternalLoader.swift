import TensorIO

/// A loader behind the driver protocol (docs/driver-protocol.md): a long-lived process spoken to
/// in JSON lines. Keeps up to ``processes`` drivers; a driver that dies, hangs or answers garbage is
/// killed and replaced, and only the case it was working on is affected.
public final class ExternalLoader: ConformanceLoader, Sendable {
  public let id: String
  /// The command line (program and arguments).
  public let command: [String]
  /// Extra environment for the driver (added to the runner's own).
  public let environment: [String: String]
  /// The version the driver must report (`peft@0.21.2` asks for `0.21.2`); `nil` accepts any.
  public let requiredVersion: String?
  /// Seconds a driver may take to answer `hello`.
  public let handshakeTimeout: Double
  /// Seconds a driver may take per case.
  public let caseTimeout: Double
  /// At most this many driver processes at once.
  public let processes: Int
  /// Failed starts in a row after which the loader gives up.
  public let maxRestarts = 3
  /// The longest response line accepted.
  public let maxLineBytes: Int

  private let pool: DriverPool

  public init(
    id: String, command: [String], environment: [String: String] = [:], requiredVersion: String? = nil,
    handshakeTimeout: Double = 120, caseTimeout: Double = 60, processes: Int = 1,
    maxLineBytes: Int = DriverMessages.maxLineBytes
  ) {
    self.maxLineBytes = maxLineBytes
    self.id = id
    self.command = command
    var env = ["HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"]
    for (k, v) in environment { env[k] = v }
    self.environment = env
    self.requiredVersion = requiredVersion
    self.handshakeTimeout = handshakeTimeout
    self.caseTimeout = caseTimeout
    self.processes = max(1, processes)
    pool = DriverPool(capacity: max(1, processes))
  }

  public func start() async throws -> LoaderInfo {
    let session = try await launch()
    let hello = session.hello
    await pool.adopt(session, info: hello)
    let loaderID = id.hasPrefix("cmd:") ? "\(hello.name)@\(hello.version)" : id
    return LoaderInfo(
      id: loaderID, name: hello.name, version: hello.version, versions: hello.versions, capabilities: hello.capabilities)
  }

  public func run(_ prepared: PreparedCase) async throws -> LoaderAnswer {
    guard let session = try await acquire() else {
      return .failed("the driver is unavailable: it failed to start \(maxRestarts) times in a row")
    }
    let timeout = caseTimeout
    let exchange = await offloaded { session.exchange(prepared, timeout: timeout) }
    switch exchange {
    case .answer(let answer):
      await pool.release(session)
      return answer
    case .broken(let answer):
      await pool.discard()
      return answer
    }
  }

  public func shutdown() async {
    for session in await pool.drain() { await offloaded { session.shutdown() } }
  }

  /// An idle driver, or a new one when there is room; `nil` once the driver keeps failing to start.
  private func acquire() async throws -> DriverSession? {
    switch await pool.acquire() {
    case .session(let session): return session
    case .unavailable: return nil
    case .start:
      do {
        let session = try await launch()
        let first = await pool.firstVersion
        if let required = first, session.hello.version != required {
          await offloaded { session.shutdown() }
          throw ChildProcessError(message: "the restarted driver reports version \(session.hello.version), not \(required)")
        }
        await pool.started()
        return session
      } catch {
        await pool.startFailed()
        if await pool.isUnavailable(maxRestarts: maxRestarts) {
          return nil
        }
        throw error
      }
    }
  }

  private func launch() async throws -> DriverSession {
    let (command, environment, timeout, required) = (self.command, self.environment, handshakeTimeout, requiredVersion)
    let limit = maxLineBytes
    let result: Result<DriverSession, ChildProcessError> = await offloaded {
      Result { () throws(ChildProcessError) in
        try DriverSession(command: command, environment: environment, handshakeTimeout: timeout, maxLineBytes: limit)
      }
    }
    let session = try result.get()
    if let required, session.hello.version != required {
      await offloaded { session.shutdown() }
      throw ChildProcessError(
        message: "the driver reports \(session.hello.name) \(session.hello.version), but \(required) was asked for "
          + "(check which Python the driver runs with)")
    }
    return session
  }
}

/// The set of driver processes of one loader: idle ones, how many exist, and tasks waiting for one.
actor DriverPool {
  enum Grant {
    case session(DriverSession)
    /// There is room: the caller starts a new driver.
    case start
    case unavailable
  }

  let capacity: Int
  private var idle: [DriverSession] = []
  private var live = 0
  private var waiters: [CheckedContinuation<Grant, Never>] = []
  private var failedStarts = 0
  private var gaveUp = false
  private(set) var firstVersion: String?

  init(capacity: Int) { self.capacity = capacity }

  func adopt(_ session: DriverSession, info: (name: String, version: String, versions: [String: String], capabilities: LoaderCapabilities)) {
    firstVersion = info.version
    live += 1
    hand(session)
  }

  func acquire() async -> Grant {
    if gaveUp { return .unavailable }
    if let session = idle.popLast() { return .session(session) }
    if live < capacity {
      live += 1
      return .start
    }
    return await withCheckedContinuation { waiters.append($0) }
  }

  func started() { failedStarts = 0 }

  func release(_ session: DriverSession) { hand(session) }

  /// A driver died: its slot becomes free.
  func discard() {
    live -= 1
    if !waiters.isEmpty {
      live += 1
      waiters.removeFirst().resume(returning: .start)
    }
  }

  func startFailed() {
    failedStarts += 1
    discard()
  }

  func isUnavailable(maxRestarts: Int) -> Bool {
    if failedStarts >= maxRestarts {
      gaveUp = true
      for waiter in waiters { waiter.resume(returning: .unavailable) }
      waiters.removeAll()
    }
    return gaveUp
  }

  func drain() -> [DriverSession] {
    defer { idle.removeAll() }
    return idle
  }

  private func hand(_ session: DriverSession) {
    if waiters.isEmpty {
      idle.append(session)
    } else {
      waiters.removeFirst().resume(returning: .session(session))
    }
  }
}
