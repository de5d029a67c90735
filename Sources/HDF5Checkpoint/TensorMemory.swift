import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Zero-initialised memory from an anonymous mapping, owning a tensor's bytes read from HDF5 (or
/// generated for writing).
///
/// Unlike a heap allocation it fails with an error instead of trapping when the size cannot be
/// had, and its pages cost nothing until written: a tensor that reads as zeros (an unwritten
/// dataset) is returned without touching memory. Large buffers that will be filled ask for
/// transparent huge pages, which cuts the page faults of a 256 MiB read from 65,536 to 128.
final class TensorMemory: ByteStorage, @unchecked Sendable {
  // Written only by the creator before the object is shared; read-only afterwards.
  private let mapping: UnsafeMutableRawPointer
  private let mappedCount: Int
  private let start: UnsafeMutableRawPointer
  private let count: Int

  private static let hugePage = 2 << 20

  /// Maps `count` zeroed bytes; `nil` if the system refuses.
  /// - Parameter willFill: the caller will write every byte soon, so huge pages pay off.
  init?(count: Int, willFill: Bool) {
    guard count >= 0 else { return nil }
    let huge = willFill && count >= Self.hugePage
    let (length, overflow) = Swift.max(count, 1).addingReportingOverflow(huge ? Self.hugePage : 0)
    guard !overflow else { return nil }
    let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
    guard let pointer = mmap(nil, length, PROT_READ | PROT_WRITE, flags, -1, 0), pointer != MAP_FAILED else {
      return nil
    }
    mapping = pointer
    mappedCount = length
    self.count = count
    if huge {
      // Huge pages need 2 MiB alignment; the mapping has 2 MiB to spare.
      let address = UInt(bitPattern: pointer)
      let aligned = (address + UInt(Self.hugePage - 1)) & ~UInt(Self.hugePage - 1)
      start = pointer + Int(aligned - address)
      #if os(Linux)
        _ = madvise(start, count, MADV_HUGEPAGE)
      #endif
    } else {
      start = pointer
    }
  }

  deinit { munmap(mapping, mappedCount) }

  /// The memory to fill, before the object is shared.
  var mutableBytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: start, count: count) }

  var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: start, count: count) }
}
