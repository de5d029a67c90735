import Testing
import TestSupport

@testable import AdapterLoading

/// The recorded modules' trie walks names on their bytes: it must find what walking them as strings finds.
@Suite("Recorded module trie")
struct RecordTrieTests {
  /// The walk written plainly over every recorded node's dotted name: split on dots; a part is the child of
  /// that name (as Swift compares strings, canonical equivalence included), else `*` when it is all digits.
  static func reference(_ nodes: Set<String>, _ path: String) -> String? {
    var node = ""
    for part in path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
      let exact = node.isEmpty ? part : node + "." + part
      let star = node.isEmpty ? "*" : node + ".*"
      let isIndex = !part.isEmpty && part.utf8.allSatisfy { (48...57).contains($0) }
      if let equal = nodes.firstIndex(of: exact) {
        node = nodes[equal]
      } else if isIndex && nodes.contains(star) {
        node = star
      } else {
        return nil
      }
    }
    return node
  }

  static func prefixes(of pattern: String) -> [String] {
    let parts = pattern.split(separator: ".", omittingEmptySubsequences: false)
    return (1...parts.count).map { parts.prefix($0).joined(separator: ".") }
  }

  static let record = ModuleRecord(kind: .other, className: "M", tensors: [], nonPersistentBuffers: [], children: [])

  @Test("seeded paths are found where the string walk finds them")
  func agreesWithStrings() throws {
    var rng = SeededGenerator(seed: 0x7B1E_5EED)
    // Indices beside `*`, a node with a digit-named child, names that hash alike in no way but differ by a
    // byte, and non-ASCII names, one canonically equal to an ASCII one (Kelvin sign and K).
    let parts = ["model", "layers", "*", "0", "12", "k_proj", "\u{212A}_proj", "K_proj", "mlp", "é", "e\u{301}", "a"]
    func path(_ count: Int) -> String {
      (0..<count).map { _ in parts[Int(rng.next() % UInt64(parts.count))] }.joined(separator: ".")
    }
    var patterns: Set<String> = []
    for _ in 0..<60 { patterns.insert(path(1 + Int(rng.next() % 4))) }
    let trie = RecordTrie(Dictionary(uniqueKeysWithValues: patterns.map { ($0, Self.record) }))
    let nodes = Set(patterns.flatMap(Self.prefixes(of:)))
    // The name each node stands for, to compare the trie's answers with the reference's.
    var names = [Int: String]()
    for pattern in patterns {
      for prefix in Self.prefixes(of: pattern) {
        if let node = trie.node(at: prefix[...]) { names[node] = prefix }
      }
    }
    var found = 0
    // Paths written with the patterns' parts and with digits `*` stands for.
    let queryParts = parts + ["7", "00", "1x"]
    for _ in 0..<20_000 {
      let count = 1 + Int(rng.next() % 4)
      let query = (0..<count).map { _ in queryParts[Int(rng.next() % UInt64(queryParts.count))] }.joined(separator: ".")
      let expected = Self.reference(nodes, query)
      let node = trie.node(at: query[...])
      #expect(node.flatMap { names[$0] } == expected, "\(query)")
      if expected != nil { found += 1 }
    }
    #expect(found > 1_000)
  }
}
