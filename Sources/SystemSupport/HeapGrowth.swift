import CMalloc

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// How the C allocator's heaps grow (set once at process start) and which pages back them.
package enum HeapGrowth {
  /// The pad glibc adds when it first maps a thread's heap (and keeps when trimming one).
  package static let topPad: Int32 = 8 << 20

  /// glibc grows a thread's heap (every arena but the main thread's) by exactly what an allocation lacks,
  /// one `mprotect` a page or two at a time: 869 calls, 6 % of the samples of a `check` of the
  /// Qwen3-30B-A3B shape, whose loading runs on a worker thread. A pad of ``topPad`` makes a new heap
  /// writable up front (address space, not memory: untouched pages stay unbacked); the peak resident size
  /// moves by 0.1–0.2 MB. A pad the user set (`MALLOC_TOP_PAD_`, `GLIBC_TUNABLES`) is left as it is.
  /// Call before other threads allocate: a heap already mapped keeps its size. Returns whether it was set.
  @discardableResult
  package static func padThreadHeaps() -> Bool {
    !userSetPad && cmalloc_set_top_pad(topPad) == 1
  }

  /// Whether the environment sets glibc's pad (`MALLOC_TOP_PAD_`, or `top_pad` in `GLIBC_TUNABLES`).
  package static var userSetPad: Bool {
    if getenv("MALLOC_TOP_PAD_") != nil { return true }
    guard let tunables = getenv("GLIBC_TUNABLES") else { return false }
    return String(cString: tunables).contains("top_pad")
  }
}
