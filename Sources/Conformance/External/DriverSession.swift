import Dispatch
import TensorIO

/// One running driver process after a successful handshake. Used by one case at a time.
final class DriverSession: @unchecked Sendable {
  /// How long to wait for a dead driver's last stderr bytes. The reader returns at end of file, at
  /// once in the usual case; the margin is for a loaded machine whose reader thread runs late.
  static let stderrDrainSeconds = 5.0

  let process: ChildProcess
  let stderr: StderrTail
  private var reader: LineReader
  let hello: (name: String, version: String, versions: [String: String], capabilities: LoaderCapabilities)

  /// Starts the driver and performs the handshake.
  init(
    command: [String], environment: [String: String], handshakeTimeout: Double,
    maxLineBytes: Int = DriverMessages.maxLineBytes
  ) throws(ChildProcessError) {
    process = try ChildProcess(arguments: command, environment: environment)
    stderr = StderrTail(fd: process.stderrFD)
    reader = LineReader(fd: process.stdoutFD, limit: maxLineBytes)
    do {
      try process.write(Array(DriverMessages.hello().utf8))
      let value = try Self.response(&reader, timeout: handshakeTimeout, process: process, stderr: stderr, waiting: "hello")
      do {
        hello = try DriverMessages.decodeHello(value)
      } catch {
        throw ChildProcessError(message: "bad handshake: \(error)\(Self.tailNote(stderr))")
      }
    } catch {
      process.killNow()
      throw (error as? ChildProcessError) ?? ChildProcessError(message: "\(error)")
    }
  }

  /// What a `load` request produced.
  enum Exchange {
    case answer(LoaderAnswer)
    /// The driver is unusable afterwards (killed, exited, spoke garbage); the answer still counts.
    case broken(LoaderAnswer)
  }

  /// Sends one request and waits for its response.
  func exchange(_ prepared: PreparedCase, timeout: Double) -> Exchange {
    do {
      try process.write(Array(DriverMessages.load(prepared).utf8))
    } catch {
      process.killNow()
      stderr.awaitEnd(seconds: Self.stderrDrainSeconds)
      return .broken(.failed("the driver is gone (\(process.statusDescription)): \(error.message)\(Self.tailNote(stderr))"))
    }
    let value: JSONValue
    do {
      value = try Self.response(&reader, timeout: timeout, process: process, stderr: stderr, waiting: "result")
    } catch is TimeoutError {
      process.killNow()
      return .broken(.timedOut("no answer within \(Self.seconds(timeout)); the driver was killed and restarted\(Self.tailNote(stderr))"))
    } catch {
      process.killNow()
      return .broken(.failed("\(error)"))
    }
    do {
      switch try DriverMessages.decodeResponse(value, id: prepared.run.runID) {
      case .result(let outcome): return .answer(.outcome(outcome))
      case .error(let message): return .answer(.failed("driver error: \(message)\(Self.tailNote(stderr))"))
      }
    } catch {
      process.killNow()
      return .broken(.failed("protocol error: \(error)\(Self.tailNote(stderr))"))
    }
  }

  /// Ends the driver politely.
  func shutdown() {
    try? process.write(Array(DriverMessages.shutdown().utf8))
    process.terminate(grace: 5)
  }

  struct TimeoutError: Error {}

  /// Reads one line and parses it as a JSON object.
  private static func response(
    _ reader: inout LineReader, timeout: Double, process: ChildProcess, stderr: StderrTail, waiting: String
  ) throws -> JSONValue {
    switch reader.readLine(timeout: timeout) {
    case .line(let bytes):
      do {
        return try JSONValue.parse(bytes)
      } catch {
        let start = String(decoding: bytes.prefix(200), as: UTF8.self)
        throw ChildProcessError(message: "protocol error: not a JSON line (\(error)): \(start)\(tailNote(stderr))")
      }
    case .endOfFile:
      _ = process.wait(seconds: 1)
      stderr.awaitEnd(seconds: Self.stderrDrainSeconds)
      throw ChildProcessError(
        message: "the driver closed its output before sending \(waiting) (\(process.statusDescription))\(tailNote(stderr))")
    case .timedOut:
      if waiting == "hello" {
        throw ChildProcessError(message: "no hello within \(seconds(timeout))\(tailNote(stderr))")
      }
      throw TimeoutError()
    case .tooLong(let prefix):
      throw ChildProcessError(
        message: "protocol error: a response line longer than \(reader.limit) bytes: "
          + "\(String(decoding: prefix, as: UTF8.self))…\(tailNote(stderr))")
    case .failed(let code):
      throw ChildProcessError(message: "cannot read from the driver (errno \(code))\(tailNote(stderr))")
    }
  }

  static func tailNote(_ stderr: StderrTail) -> String {
    let tail = stderr.tail()
    return tail.isEmpty ? "" : "\n--- driver stderr (tail) ---\n\(tail)"
  }

  static func seconds(_ value: Double) -> String {
    value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
  }
}

/// Runs blocking work on a GCD thread so that the cooperative pool is never blocked.
func offloaded<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
  await withCheckedContinuation { continuation in
    DispatchQueue.global().async { continuation.resume(returning: work()) }
  }
}
