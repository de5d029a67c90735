import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct HeapGrowthTests {
  /// The C shim compiles to glibc's `mallopt`, not to its fallback that sets nothing: without the pad every
  /// `check` grows its loading thread's heap a page at a time again (869 `mprotect`s for the MoE shape;
  /// Benchmarks/README.md), which no output would show.
  @Test func glibcTakesThePad() {
    #if canImport(Glibc)
      #expect(HeapGrowth.padThreadHeaps() == !HeapGrowth.userSetPad)
    #endif
  }

  /// A thread heap as glibc maps it: its writable part, then the rest of its 64 MiB reservation inaccessible.
  @Test func findsAThreadHeapAndItsReservation() throws {
    let maps = """
      55dbcfc00000-55dbd0000000 rw-p 00000000 00:00 0                          [heap]
      7f0320000000-7f0320821000 rw-p 00000000 00:00 0 
      7f0320821000-7f0324000000 ---p 00000000 00:00 0 
      7f0327a00000-7f0327c00000 r--p 00000000 fe:00 333671                     /usr/lib/libstdc++.so.6
      """
    let heap = try #require(HeapGrowth.threadHeap(containing: 0x7f03_2040_1230, maps: Array(maps.utf8)))
    #expect(heap.reserved == 0x7f03_2000_0000..<0x7f03_2400_0000)
    #expect(heap.writable == 0x7f03_2000_0000..<0x7f03_2082_1000)
  }

  /// A heap grown to its whole reservation has no inaccessible rest; a rest merged with the next reservation's
  /// runs past its end.
  @Test func acceptsAFullHeapAndAMergedRest() throws {
    let full = "7f0320000000-7f0324000000 rw-p 00000000 00:00 0 \n7f0324000000-7f0324001000 ---p 00000000 00:00 0 \n"
    #expect(HeapGrowth.threadHeap(containing: 0x7f03_2000_0010, maps: Array(full.utf8))?.writable
      == 0x7f03_2000_0000..<0x7f03_2400_0000)
    let merged = "7f0320000000-7f0320100000 rw-p 00000000 00:00 0\n7f0320100000-7f0328000000 ---p 00000000 00:00 0\n"
    #expect(HeapGrowth.threadHeap(containing: 0x7f03_2000_0010, maps: Array(merged.utf8))?.reserved
      == 0x7f03_2000_0000..<0x7f03_2400_0000)
  }

  /// Anything else holding the address is left alone.
  @Test(arguments: [
    // The main thread's heap.
    "55dbcfc00000-55dbd0000000 rw-p 00000000 00:00 0      [heap]\n",
    // Anonymous and writable, but not on a reservation's boundary (an mmap'd chunk, another allocator).
    "7f031fff0000-7f0320821000 rw-p 00000000 00:00 0 \n7f0320821000-7f0323ff0000 ---p 00000000 00:00 0 \n",
    // On a boundary, but a file.
    "7f0320000000-7f0320821000 rw-p 00000000 fe:00 1234   /data/weights.bin\n7f0320821000-7f0324000000 ---p 00000000 00:00 0 \n",
    // Shared memory.
    "7f0320000000-7f0320821000 rw-s 00000000 00:01 77 \n7f0320821000-7f0324000000 ---p 00000000 00:00 0 \n",
    // The rest of the reservation missing, or accessible, or stopping short.
    "7f0320000000-7f0320821000 rw-p 00000000 00:00 0 \n",
    "7f0320000000-7f0320821000 rw-p 00000000 00:00 0 \n7f0320821000-7f0324000000 r--p 00000000 00:00 0 \n",
    "7f0320000000-7f0320821000 rw-p 00000000 00:00 0 \n7f0320821000-7f0323000000 ---p 00000000 00:00 0 \n",
    // Larger than a reservation.
    "7f0320000000-7f0328000000 rw-p 00000000 00:00 0 \n",
    // Not in any mapping, or not a maps text at all.
    "7f0324000000-7f0324821000 rw-p 00000000 00:00 0 \n",
    "garbage\n\n7f0320000000 rw-p\n",
  ])
  func leavesEverythingElse(maps: String) {
    #expect(HeapGrowth.threadHeap(containing: 0x7f03_2000_0010, maps: Array(maps.utf8)) == nil)
  }

  /// On a thread of its own, where THP is on with 2 MiB pages, the heap the thread allocates from is advised: the
  /// kernel then marks its mapping `hg` (`VM_HUGEPAGE`) in `/proc/self/smaps`, read here independently of the code
  /// under test.
  @Test func advisesTheCallingThreadsHeap() throws {
    #if os(Linux) && canImport(Glibc)
      var advice = HeapGrowth.HugePageAdvice.unavailable
      var inMainHeap = false
      onNewThread {
        let block = malloc(4096)!
        defer { free(block) }
        inMainHeap = SmapsMapping.all().first { $0.range.contains(UInt(bitPattern: block)) }?.path == "[heap]"
        advice = HeapGrowth.adviseHugePagesForThisThread()
      }
      // Where THP is off or of another size, nothing may be advised.
      let mode = kernelFileLines("/sys/kernel/mm/transparent_hugepage/enabled")?.first ?? ""
      let size = kernelFileLines("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")?.first ?? ""
      guard (mode.contains("[always]") || mode.contains("[madvise]")) && size == "2097152" else {
        #expect(advice == .unavailable)
        return
      }
      if inMainHeap {
        // glibc gave this thread the main arena (it reuses arenas past eight per core): nothing to advise.
        #expect(advice == .notAThreadHeap)
        return
      }
      guard case .advised(let heap) = advice else {
        Issue.record("expected the thread's heap to be advised, got \(advice)")
        return
      }
      let mapping = try #require(SmapsMapping.all().first { $0.range.lowerBound == heap.lowerBound })
      #expect(mapping.flags.contains("hg"))
    #endif
  }
}

#if os(Linux) && canImport(Glibc)
  /// Runs `body` on a new POSIX thread and waits for it.
  private func onNewThread(_ body: @escaping () -> Void) {
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, { context in
      Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
      return nil
    }, Unmanaged.passRetained(ThreadBody(body)).toOpaque())
    precondition(created == 0, "pthread_create failed")
    pthread_join(thread, nil)
  }

  private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
  }
#endif
