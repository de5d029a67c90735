#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where scratch files go.
package enum TemporaryFolder {
  /// `$TMPDIR`; else `/dev/shm` where it is a writable folder (generated cases are many small
  /// files, written and deleted at once: memory beats a disk that syncs every file); else `/tmp`.
  package static func base() -> String {
    if let value = getenv("TMPDIR") {
      let text = String(cString: value)
      if !text.isEmpty { return text }
    }
    var info = stat()
    if stat("/dev/shm", &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, access("/dev/shm", W_OK) == 0 {
      return "/dev/shm"
    }
    return "/tmp"
  }

  /// A name for this process's scratch folder: `prefix-PID`.
  package static func processScoped(_ prefix: String) -> String { "\(prefix)-\(getpid())" }
}
