#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A program run to completion with its stdout captured, a wall-clock limit and an output limit.
package struct BoundedRun: Sendable {
  /// How the run ended.
  package enum Ending: Hashable, Sendable {
    case exited(Int32)
    case signaled(Int32)
    /// Killed by us: no exit within the wall-clock limit.
    case timedOut
    /// Killed by us: it wrote more than the output limit.
    case outputTooLong
  }

  package var ending: Ending
  package var output: [UInt8]
  /// The child's peak resident set size in KiB.
  package var peakRSSKiB: Int

  /// Runs `arguments` (argv[0] resolved through `PATH` when it has no `/`) and waits for it.
  /// - Parameters:
  ///   - stderr: where the child's standard error goes (`.standardOutput` captures it too).
  ///   - defaultSignals: see ``Subprocess``.
  package static func run(
    _ arguments: [String], environment: [String: String] = [:], stdin: Subprocess.Stream = .null,
    stderr: Subprocess.Stream = .null, wallSeconds: Double, maxOutput: Int, defaultSignals: Bool = true
  ) throws(SpawnError) -> BoundedRun {
    let child = try Subprocess(
      arguments, environment: environment, stdin: stdin, stdout: .pipe, stderr: stderr, defaultSignals: defaultSignals)
    defer { close(child.stdoutFD) }
    let deadline = Monotonic.now + wallSeconds
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var killedFor: Ending?
    reading: while true {
      let remaining = deadline - Monotonic.now
      guard remaining > 0 else {
        killedFor = .timedOut
        break
      }
      var poller = pollfd(fd: child.stdoutFD, events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, Int32(min(remaining * 1000, 60_000).rounded(.up)))
      if ready <= 0 { continue }
      let count = buffer.withUnsafeMutableBytes { read(child.stdoutFD, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { break reading }
      output.append(contentsOf: buffer[0..<count])
      if output.count > maxOutput {
        killedFor = .outputTooLong
        break
      }
    }
    if killedFor != nil { child.signal(SIGKILL) }
    // The child closed its stdout; it should be exiting. Give it what is left of the time.
    while child.reap(blocking: killedFor != nil) == nil {
      if let code = child.waitFailure { throw SpawnError(step: "waitpid", errno: code) }
      if Monotonic.now >= deadline {
        killedFor = .timedOut
        child.signal(SIGKILL)
      } else {
        usleep(1000)
      }
    }
    let ending: Ending
    switch (killedFor, child.termination) {
    case (let killed?, _): ending = killed
    case (nil, .exited(let code)?): ending = .exited(code)
    case (nil, .signaled(let signal)?): ending = .signaled(signal)
    case (nil, nil): ending = .timedOut
    }
    return BoundedRun(ending: ending, output: output, peakRSSKiB: child.peakRSSKiB)
  }
}
