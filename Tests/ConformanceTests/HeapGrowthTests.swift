import SystemSupport
import Testing

@Suite struct HeapGrowthTests {
  /// The C shim compiles to glibc's `mallopt`, not to its fallback that sets nothing: without the pad every
  /// `check` grows its loading thread's heap a page at a time again (869 `mprotect`s for the MoE shape;
  /// Benchmarks/README.md), which no output would show.
  @Test func glibcTakesThePad() {
    #if canImport(Glibc)
      #expect(HeapGrowth.padThreadHeaps() == !HeapGrowth.userSetPad)
    #endif
  }
}
