import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Zero-initialised memory from an anonymous mapping, owning a tensor's bytes read from HDF5.
///
/// Unlike a heap allocation it fails with an error instead of trapping when the size cannot be
/// had, and its pages cost nothing until written: a tensor that reads as zeros (an unwritten
/// dataset) is returned without touching memory.
final class AnonymousMemory: ByteStorage, @unchecked Sendable {
  // Written only by the creator before the object is shared; read-only afterwards.
  private let base: UnsafeMutableRawPointer
  private let mappedCount: Int
  private let count: Int

  /// Maps `count` zeroed bytes; `nil` if the system refuses.
  init?(count: Int) {
    guard count >= 0 else { return nil }
    let length = Swift.max(count, 1)
    let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
    guard let pointer = mmap(nil, length, PROT_READ | PROT_WRITE, flags, -1, 0), pointer != MAP_FAILED else {
      return nil
    }
    base = pointer
    mappedCount = length
    self.count = count
  }

  deinit { munmap(base, mappedCount) }

  /// The memory to fill, before the object is shared.
  var mutableBytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

  var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
