import SystemSupport
import Testing

@Suite("Memo")
struct MemoTests {
  struct Refused: Error, Equatable {}

  @Test("a value is made once per key and then handed back; a failure is not kept")
  func makesOncePerKey() throws {
    let memo = Memo<String, Int>(capacity: 8)
    var made = 0
    for _ in 0..<3 { #expect(memo.value(for: "a") { made += 1; return 1 } == 1) }
    #expect(memo.value(for: "b") { made += 1; return 2 } == 2)
    #expect(made == 2)
    #expect(throws: Refused.self) { try memo.value(for: "c") { () throws(Refused) -> Int in throw Refused() } }
    #expect(memo.value(for: "c") { 3 } == 3, "the failure was not remembered")
  }

  @Test("a full table starts over instead of growing")
  func boundedByCapacity() {
    let memo = Memo<Int, Int>(capacity: 2)
    var made = 0
    for key in [1, 2, 3, 1] { _ = memo.value(for: key) { made += 1; return key } }
    // 1 and 2 fill it; 3 empties it; 1 is made again.
    #expect(made == 4)
  }

  @Test("threads asking for the same keys get the same values")
  func concurrentCallersAgree() async {
    let memo = Memo<Int, [Int]>(capacity: 64)
    let results = await withTaskGroup(of: [Int].self) { group in
      for i in 0..<200 { group.addTask { memo.value(for: i % 10) { Array(0...(i % 10)) } } }
      return await group.reduce(into: []) { $0.append($1) }
    }
    #expect(results.allSatisfy { $0 == Array(0...($0.last ?? 0)) })
  }
}
