#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The bytes libFuzzer hands to `LLVMFuzzerTestOneInput`, as a buffer (empty when `start` is nil).
public func fuzzBytes(_ start: UnsafePointer<UInt8>?, _ count: Int) -> UnsafeBufferPointer<UInt8> {
  UnsafeBufferPointer(start: count > 0 ? start : nil, count: count)
}

/// The input as text, the way the corpus loader reads a file (invalid UTF-8 is replaced).
public func fuzzText(_ start: UnsafePointer<UInt8>?, _ count: Int) -> String {
  String(decoding: fuzzBytes(start, count), as: UTF8.self)
}

/// Reads every byte of `bytes` so that AddressSanitizer checks the whole range; returns a checksum
/// so the reads cannot be optimised away.
@inline(never)
public func touch(_ bytes: UnsafeRawBufferPointer) -> UInt8 {
  var sum: UInt8 = 0
  for byte in bytes { sum &+= byte }
  return sum
}

/// A sink the optimiser cannot see through.
@inline(never)
public func consume<T>(_ value: T) {
  withExtendedLifetime(value) {}
}

/// Scratch files to remove when the fuzzer exits (set up once, from the target's global initialiser).
private var scratchPaths: [String] = []

/// A scratch file for parsers that need a path (libhdf5 opens files by name): one per process,
/// rewritten for every input.
public struct ScratchFile {
  public let path: String

  public init(suffix: String) {
    // Memory-backed /dev/shm when there is one: millions of rewrites should not reach a disk.
    var info = stat()
    let directory =
      getenv("TMPDIR").map { String(cString: $0) } ?? (stat("/dev/shm", &info) == 0 ? "/dev/shm" : "/tmp")
    path = "\(directory)/adaptest-fuzz-\(getpid())\(suffix)"
    scratchPaths.append(path)
    atexit { for path in scratchPaths { unlink(path) } }
  }

  /// Replaces the file's contents with `bytes`; false if the file could not be written.
  public func replaceContents(with bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var offset = 0
    while offset < bytes.count {
      guard let base = bytes.baseAddress else { return false }
      let written = write(fd, base + offset, bytes.count - offset)
      guard written > 0 else { return false }
      offset += written
    }
    return true
  }
}
