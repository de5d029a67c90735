import CScheduling
import SystemSupport
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

@Suite("Speculation")
struct SpeculationTests {
  /// Waits (polling, at most 10 s) until `condition` holds.
  static func wait(until condition: () -> Bool) {
    let deadline = Monotonic.now + 10
    while !condition() && Monotonic.now < deadline { usleep(200) }
  }

  @Test("a value made is handed over (every time); a key not reached is claimed, and the plan skips it")
  func madeOrClaimed() async {
    let made = Locked<[String]>([])
    let claimed = Locked(false)
    let speculation = Speculation<String, Int> { speculation in
      speculation.attempt("a") { made.withLock { $0.append("a") }; return 1 }
      Self.wait { claimed.value }
      speculation.attempt("b") { made.withLock { $0.append("b") }; return 2 }
      speculation.attempt("c") { made.withLock { $0.append("c") }; return 3 }
    }
    Self.wait { made.value.contains("a") }
    #expect(await speculation.take("b") == nil)
    claimed.value = true
    #expect(await speculation.take("a") == 1)
    #expect(await speculation.take("a") == 1)
    Self.wait { made.value.contains("c") }
    #expect(await speculation.take("c") == 3)
    #expect(await speculation.take("b") == nil, "a claimed key stays the consumer's")
    #expect(made.value == ["a", "c"])
  }

  @Test("a take while the value is being made waits for it")
  func waitsForTheValueBeingMade() async {
    let making = Locked(false)
    let released = Locked(false)
    let speculation = Speculation<String, [Int]> { speculation in
      speculation.attempt("slow") {
        making.value = true
        Self.wait { released.value }
        return [1, 2, 3]
      }
    }
    Self.wait { making.value }
    let returned = Locked(false)
    let taking = Task {
      let value = await speculation.take("slow")
      returned.value = true
      return value
    }
    usleep(50_000)
    #expect(!returned.value, "the take returned while the value was still being made")
    released.value = true
    #expect(await taking.value == [1, 2, 3])
  }

  @Test("a key whose making finds nothing is nil, and not made again")
  func nothingFound() async {
    let count = Locked(0)
    let speculation = Speculation<Int, Int> { speculation in
      speculation.attempt(1) { count.withLock { $0 += 1 }; return nil }
      speculation.attempt(1) { count.withLock { $0 += 1 }; return 5 }
    }
    Self.wait { count.value >= 1 }
    usleep(20_000)
    #expect(await speculation.take(1) == nil)
    #expect(count.value == 1)
  }

  @Test("end stops the plan at its next attempt")
  func endStopsThePlan() async {
    let made = Locked(0)
    let go = Locked(false)
    let finished = Locked(false)
    let speculation = Speculation<Int, Int> { speculation in
      speculation.attempt(0) { made.withLock { $0 += 1 }; return 0 }
      Self.wait { go.value }
      for key in 1..<100 { speculation.attempt(key) { made.withLock { $0 += 1 }; return key } }
      finished.value = true
    }
    Self.wait { made.value == 1 }
    speculation.end()
    go.value = true
    Self.wait { finished.value }
    #expect(made.value == 1)
    #expect(await speculation.take(0) == 0, "values made before the end stay")
    #expect(await speculation.take(5) == nil)
  }

  /// The plan and the consumer race over the same keys, in seeded orders and pauses: each take is the
  /// key's value or nil, a key handed over was made exactly once, a claimed key never.
  @Test("racing a plan and a consumer: values are the made ones, claims are never made", arguments: 0..<40)
  func racing(seed: UInt64) async {
    var random = SeededGenerator(seed: seed)
    let keys = Array(0..<24)
    let planOrder = keys.shuffled(using: &random)
    let takeOrder = Array(keys.shuffled(using: &random).prefix(16))
    let planPauses = keys.map { _ in UInt32.random(in: 0..<300, using: &random) }
    let takePauses = takeOrder.map { _ in UInt32.random(in: 0..<300, using: &random) }
    let made = Locked([Int: Int]())
    let finished = Locked(false)
    // Every third key's making finds nothing.
    let value: @Sendable (Int) -> Int? = { $0 % 3 == 0 ? nil : $0 * 10 }
    let speculation = Speculation<Int, Int> { speculation in
      for (key, pause) in zip(planOrder, planPauses) {
        usleep(pause)
        speculation.attempt(key) {
          made.withLock { $0[key, default: 0] += 1 }
          return value(key)
        }
      }
      finished.value = true
    }
    var taken: [Int: Int?] = [:]
    for (key, pause) in zip(takeOrder, takePauses) {
      usleep(pause)
      taken[key] = await speculation.take(key)
    }
    Self.wait { finished.value }
    let counts = made.value
    for key in keys { #expect(counts[key, default: 0] <= 1, "key \(key) made twice") }
    for (key, result) in taken {
      if let result {
        #expect(result == value(key))
        #expect(counts[key] == 1)
      } else if counts[key] == 1 {
        #expect(value(key) == nil, "key \(key) was made with a value but handed over as nil")
      }
    }
  }

  @Test("a thread started to overlap its creator starts off the creator's CPU, then may run wherever the creator may")
  func startsOffTheCreatorsCPU() {
    let creator = Int(cscheduling_allowed_cpu_count(nil))
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    var cpus = cscheduling_cpus()
    let placed = cscheduling_avoid_current_cpu(&attributes, &cpus)
    let seen = Locked<Int?>(nil)
    #expect(ThreadJob { seen.value = Int(cscheduling_allowed_cpu_count(nil)) }.start(avoidingCurrentCPU: true))
    Self.wait { seen.value != nil }
    #expect(seen.value == creator, "the thread takes back the creator's CPUs once it runs")
    #if os(Linux) && canImport(Glibc)
      #expect(creator >= 1)
      #expect(placed == (creator > 1 ? 1 : 0))
      if creator > 1 { #expect(Int(cscheduling_allowed_cpu_count(&attributes)) == creator - 1) }
    #else
      #expect(placed == 0)
    #endif
  }
}
