#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A read-only, memory-mapped file. Tensor bytes are views into it, so reading a tensor copies
/// nothing and files larger than memory work: the kernel pages data in on demand.
///
/// A small file (at most ``readLimit`` bytes) is read into memory instead: mapping and unmapping it
/// cost more than the copy (`munmap`'s TLB flushes across the run's threads were a tenth of reading a
/// default run's cases, `perf record`), and a file truncated while in use then cannot fault.
public final class MappedFile: Sendable {
  /// The path it was opened from.
  public let path: String
  /// The file's size in bytes (for a file read into memory, the bytes read).
  public let count: Int
  // The mapping (or buffer) is never written and lives as long as the object, so sharing it is safe.
  nonisolated(unsafe) private let base: UnsafeRawPointer?
  /// Whether `base` is a buffer of ours rather than a mapping.
  private let isRead: Bool

  /// Files up to this size are read rather than mapped.
  public static let readLimit = 256 * 1024

  /// Maps the whole file (reads it, if small).
  /// - Throws: ``FileError`` if it cannot be opened, stat-ed, mapped or read.
  public init(path: String) throws(FileError) {
    self.path = path
    let fd = try FileSystem.openRegular(path)
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw FileError(operation: "stat", path: path, errno: errno) }
    let size = Int(info.st_size)
    if size == 0 {
      (base, count, isRead) = (nil, 0, false)
    } else if size <= Self.readLimit {
      let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
      var done = 0
      while done < size {
        let n = pread(fd, buffer + done, size - done, off_t(done))
        if n > 0 {
          done += n
        } else if n == 0 {
          break  // shorter than it was: what is there is the file
        } else if errno != EINTR {
          let code = errno
          buffer.deallocate()
          throw FileError(operation: "read", path: path, errno: code)
        }
      }
      (base, count, isRead) = (UnsafeRawPointer(buffer), done, true)
    } else {
      guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
        throw FileError(operation: "mmap", path: path, errno: errno)
      }
      (base, count, isRead) = (UnsafeRawPointer(mapped), size, false)
    }
  }

  deinit {
    guard let base else { return }
    if isRead { base.deallocate() } else { munmap(UnsafeMutableRawPointer(mutating: base), count) }
  }

  /// The whole mapping. Valid while `self` is alive.
  public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

  /// Asks the kernel to map `range` in one step rather than page fault by page fault (worth it for
  /// a region about to be read whole, such as a header). Only a hint: failures are ignored, and
  /// systems without `MADV_POPULATE_READ` (Linux before 5.14, macOS) skip it.
  public func prefault(_ range: Range<Int>) {
    #if os(Linux)
      guard let base, !isRead, range.lowerBound >= 0, range.upperBound <= count, !range.isEmpty else { return }
      let page = Int(sysconf(Int32(_SC_PAGESIZE)))
      let start = range.lowerBound / page * page
      // MADV_POPULATE_READ (22) is missing from older headers; an old kernel answers EINVAL.
      _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, 22)
    #endif
  }

  /// Drops the pages of `range` from this process's memory once they have been read (a streaming
  /// copy): the mapping is private and never written, so a later access reads the file again. Only
  /// a hint: failures are ignored.
  public func release(_ range: Range<Int>) {
    guard let base, !isRead, range.lowerBound >= 0, range.upperBound <= count, !range.isEmpty else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = range.lowerBound / page * page
    _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, MADV_DONTNEED)
  }

  /// Calls `body` with the mapped bytes, keeping the mapping alive for the call.
  public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try withExtendedLifetime(self) { () throws(E) -> R in try body(bytes) }
  }
}
