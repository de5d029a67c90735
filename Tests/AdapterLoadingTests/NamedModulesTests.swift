import Testing

@testable import AdapterLoading

/// `ModuleTree.namedModules(where:)` skips the subtrees that hold no wanted module; it must give what
/// filtering the whole `named_modules()` gives, on every PEFT model recorded from real PEFT.
@Suite("Named modules, filtered")
struct NamedModulesTests {
  static let kinds: [(String, @Sendable (ModuleKind) -> Bool)] = [
    (
      "structural",
      { kind in
        switch kind {
        case .modulesToSaveWrapper, .trainableTokensWrapper, .tunerModel, .tunerLayer: true
        default: false
        }
      }
    ),
    ("embeddings", { if case .embedding = $0 { true } else { false } }),
    ("none", { _ in false }),
    ("all", { _ in true }),
  ]

  @Test(arguments: InjectionTests.scenarios)
  func sameAsFilteringEveryModule(_ scenario: String) throws {
    let outcome = try InjectionTests.build(try Fixtures.object("injection/\(scenario).json"))
    guard let model = outcome.model else { return }
    for tree in [model.tree, model.base.tree] {
      for (label, wanted) in Self.kinds {
        let filtered = tree.namedModules().filter { wanted(tree[$0.node].kind) }
        let walked = tree.namedModules { wanted($0.kind) }
        #expect(walked.map(\.name) == filtered.map(\.name), "\(label)")
        #expect(walked.map(\.node) == filtered.map(\.node), "\(label)")
      }
    }
  }

  @Test("a module shared by two parents is named by its first path, as torch names it")
  func sharedModules() {
    var tree = ModuleTree(root: Module(kind: .container, className: "Root"))
    let shared = tree.add(Module(kind: .tunerLayer(.lora), className: "Shared"))
    let a = tree.add(Module(kind: .container, className: "A"))
    let b = tree.add(Module(kind: .container, className: "B"))
    let plain = tree.add(Module(kind: .container, className: "Plain"))
    tree.setChild(tree.root, "a", a)
    tree.setChild(tree.root, "plain", plain)
    tree.setChild(tree.root, "b", b)
    tree.setChild(a, "x", shared)
    tree.setChild(b, "y", shared)
    tree.setChild(plain, "z", shared)
    let walked = tree.namedModules { $0.className == "Shared" }
    #expect(walked.map(\.name) == ["a.x"])
    #expect(walked.map(\.name) == tree.namedModules().filter { tree[$0.node].className == "Shared" }.map(\.name))
  }
}
