#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension HeapGrowth {
  /// What ``adviseHugePagesForThisThread()`` did.
  package enum HugePageAdvice: Equatable, Sendable {
    /// The calling thread's heap (its whole reservation) is advised.
    case advised(heap: Range<UInt>)
    /// The thread allocates from the main heap, or from a mapping not shaped as a glibc thread heap: nothing done.
    case notAThreadHeap
    /// Not 64-bit Linux with glibc, transparent huge pages off (`never`) or not of ``hugePageSize``, the kernel's
    /// files unreadable, or the advice refused: nothing done.
    case unavailable
  }

  /// The address space glibc reserves for each thread heap on 64-bit systems (`HEAP_MAX_SIZE`: twice the largest
  /// mmap threshold, 4 MiB × `sizeof(long)`), aligned to its size.
  package static let threadHeapReservation: UInt = 64 << 20

  /// The only huge page size advised: x86-64's, and arm64's with 4 KiB pages. With larger pages (arm64's 16 or
  /// 64 KiB pages make huge pages of 32 or 512 MiB) one would cost more memory than the whole loading uses.
  package static let hugePageSize: UInt = 2 << 20

  /// Asks the kernel to back the calling thread's heap with transparent huge pages (`MADV_HUGEPAGE`, effective
  /// where the system's THP mode is `always` or `madvise`), and makes the reservation's first huge page, where the
  /// thread has already allocated, one huge page (`MADV_COLLAPSE`, Linux 6.1). Nothing is done where an
  /// administrator turned THP off (`never`), which the collapse alone would ignore, or where huge pages are not
  /// ``hugePageSize``.
  ///
  /// A page fault costs 2–3 µs on a virtual machine: 1,700 of them in the loading thread's heap were a sixth of
  /// a `check` of the Qwen3-30B-A3B shape (Benchmarks/README.md). Huge pages cost memory where a heap uses part
  /// of one: the collapse fills the whole first huge page at once, and the heap's last huge page is whole too
  /// (0.6–1.8 MiB of peak measured); khugepaged may later collapse more of an advised heap. The advice changes how
  /// memory is backed, never what it holds, so a mapping misjudged here would cost memory, not correctness; the
  /// heap is still recognised strictly (``threadHeap(containing:maps:)``; a heap glibc names, with its
  /// `glibc.mem.decorate_maps` tunable, is not recognised and not advised). Cost: three small kernel files read
  /// and two system calls, the collapse allocating and zeroing a huge page (on a fragmented machine, possibly
  /// after compacting memory, as for any program that asks for huge pages).
  @discardableResult
  package static func adviseHugePagesForThisThread() -> HugePageAdvice {
    #if os(Linux) && canImport(Glibc)
      guard MemoryLayout<Int>.size == 8, hugePagesAvailable else { return .unavailable }
      // Larger than glibc's per-thread cache holds (1,032 bytes), so the chunk comes from this thread's arena, not
      // from that cache (whose chunks may be another heap's); below the mmap threshold, so from a heap.
      guard let probe = malloc(16 << 10) else { return .unavailable }
      let address = UInt(bitPattern: probe)
      free(probe)
      guard let maps = readSmallKernelFile("/proc/self/maps") else { return .unavailable }
      guard let heap = threadHeap(containing: address, maps: maps) else { return .notAThreadHeap }
      guard let start = UnsafeMutableRawPointer(bitPattern: heap.reserved.lowerBound),
        madvise(start, Int(heap.reserved.count), MADV_HUGEPAGE) == 0
      else { return .unavailable }
      // Best effort: a kernel before 6.1 refuses the collapse, and the advice still holds for later faults.
      if heap.writable.count >= hugePageSize { _ = madvise(start, Int(hugePageSize), madviseCollapse) }
      return .advised(heap: heap.reserved)
    #else
      return .unavailable
    #endif
  }

  /// Whether transparent huge pages are on (`always` or `madvise`) and of ``hugePageSize``.
  private static var hugePagesAvailable: Bool {
    let directory = "/sys/kernel/mm/transparent_hugepage/"
    guard let mode = readSmallKernelFile(directory + "enabled"), let size = readSmallKernelFile(directory + "hpage_pmd_size")
    else { return false }
    // Compared as bytes: `String.contains` went through the generic string algorithms, whose first use
    // (a protocol-conformance scan of the whole executable) cost half of the advice's instructions.
    let bytes = UInt(String(decoding: size.filter { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }, as: UTF8.self))
    return (contains(mode, "[always]") || contains(mode, "[madvise]")) && bytes == hugePageSize
  }

  private static func contains(_ text: [UInt8], _ word: StaticString) -> Bool {
    let word = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
    guard text.count >= word.count else { return false }
    return (0...(text.count - word.count)).contains { start in word.indices.allSatisfy { text[start + $0] == word[$0] } }
  }

  /// `MADV_COLLAPSE` (`<linux/mman.h>`, Linux 6.1), which glibc's headers may lack.
  private static let madviseCollapse: Int32 = 25

  /// The glibc thread heap holding `address`, from the text of `/proc/PID/maps`: a private anonymous writable
  /// mapping that starts on a multiple of ``threadHeapReservation``, followed (unless it fills the whole
  /// reservation) by the reservation's inaccessible rest, which ends at or after the reservation's end (the
  /// kernel may merge it with a neighbouring reservation's). Anything else — the main heap, a file, a thread
  /// stack, an arena of another allocator — is `nil`.
  package static func threadHeap(containing address: UInt, maps: [UInt8])
    -> (reserved: Range<UInt>, writable: Range<UInt>)?
  {
    var lines = maps.split(separator: UInt8(ascii: "\n"))[...]
    while let line = lines.popFirst() {
      guard let mapping = Mapping(line), mapping.range.contains(address) else { continue }
      let start = mapping.range.lowerBound
      guard mapping.isPrivateAnonymous, mapping.permissions == "rw-p", start % threadHeapReservation == 0,
        mapping.range.count <= threadHeapReservation
      else { return nil }
      let reserved = start..<(start + threadHeapReservation)
      if mapping.range.upperBound < reserved.upperBound {
        guard let rest = lines.first.flatMap(Mapping.init), rest.isPrivateAnonymous, rest.permissions == "---p",
          rest.range.lowerBound == mapping.range.upperBound, rest.range.upperBound >= reserved.upperBound
        else { return nil }
      }
      return (reserved, mapping.range)
    }
    return nil
  }

  /// One line of `/proc/PID/maps`: `start-end perms offset major:minor inode [path]`.
  private struct Mapping {
    var range: Range<UInt>
    var permissions: String
    var isPrivateAnonymous: Bool

    init?(_ line: ArraySlice<UInt8>) {
      let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 5, omittingEmptySubsequences: true)
      guard fields.count >= 5, let dash = fields[0].firstIndex(of: UInt8(ascii: "-")),
        let start = UInt(String(decoding: fields[0][..<dash], as: UTF8.self), radix: 16),
        let end = UInt(String(decoding: fields[0][(dash + 1)...], as: UTF8.self), radix: 16), start < end
      else { return nil }
      range = start..<end
      permissions = String(decoding: fields[1], as: UTF8.self)
      let path = fields.count > 5 ? fields[5].drop { $0 == UInt8(ascii: " ") } : []
      isPrivateAnonymous = permissions.hasSuffix("p") && fields[4].elementsEqual("0".utf8) && path.isEmpty
    }
  }

  /// A file of `/proc` or `/sys` (whose size `stat` does not tell), read to its end; `nil` past 1 MiB or on an error.
  private static func readSmallKernelFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    let limit = 1 << 20
    var bytes = [UInt8](repeating: 0, count: 16 << 10)
    var count = 0
    while true {
      if count == bytes.count {
        guard bytes.count < limit else { return nil }
        bytes.append(contentsOf: repeatElement(0, count: bytes.count))
      }
      let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
      if n < 0 && errno == EINTR { continue }
      guard n >= 0 else { return nil }
      if n == 0 { break }
      count += n
    }
    bytes.removeSubrange(count...)
    return bytes
  }
}
