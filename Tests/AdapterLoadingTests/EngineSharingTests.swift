import TensorIO
import Testing

@testable import AdapterLoading

/// The load engine's shortcuts (keys read once per load, paths walked without allocating, tables built
/// with one hash per key) must answer what the plain definitions answer: checked against those
/// definitions on every PEFT model recorded from real PEFT, and against torch's and Python's rules on
/// small hand-built cases.
@Suite("Load engine shortcuts")
struct EngineSharingTests {
  static func info(_ shape: [Int]) -> TensorInfo { TensorInfo(dtype: .f32, shape: shape) }

  @Test(arguments: InjectionTests.scenarios)
  func shortcutsMatchTheDefinitions(_ scenario: String) throws {
    let outcome = try InjectionTests.build(try Fixtures.object("injection/\(scenario).json"))
    guard let model = outcome.model else { return }
    for tree in [model.tree, model.base.tree] {
      // Every path torch visits leads `module(at:)` to the module visited there.
      for (name, node) in tree.namedModules(removeDuplicates: false) where !name.isEmpty {
        #expect(tree.module(at: name) == node, "\(name)")
      }
      let entries = tree.stateDict().entries
      #expect(tree.stateDictKeys { $0.tiedTo != nil } == entries.filter { $0.tiedTo != nil }.map(\.key))
      #expect(tree.stateDictKeys { $0.info.shape.count == 1 } == entries.filter { $0.info.shape.count == 1 }.map(\.key))
      #expect(tree.stateDictKeys { _ in false } == [])
      // The last parts of the deduplicated walk's names, found without building them.
      let ends = tree.namedModules().map { name in name.name.split(separator: ".", omittingEmptySubsequences: false).last.map(String.init) ?? "" }
      #expect(tree.moduleNameEnds() == Set(ends))
    }
    // torch's visit order of a module path, found by walking it, is its first position in the walk.
    let walk = model.tree.namedModules(removeDuplicates: false)
    var firstVisits: [String: Int] = [:]
    for (position, path) in walk.map(\.name).enumerated() where firstVisits[path] == nil { firstVisits[path] = position }
    let visits = TorchStateDictLoader.VisitOrder(model.tree)
    for (path, position) in firstVisits {
      #expect(visits.index(of: path[...]) == position, "\(path)")
    }
    #expect(visits.index(of: "no.such.module") == nil)
    // PEFT < 0.21's key mapping by bytes is its mapping by characters on every key of the model.
    let prefix = model.peftType.prefix ?? "lora_"
    for key in model.stateDict.keys {
      for name in ["default", "weight", ""] {
        #expect(
          removeAdapterName(from: key, adapterName: name) == removeAdapterNameByCharacters(from: key, adapterName: name),
          "\(key)")
      }
      for anchored in [false, true] {
        #expect(
          LoadEngine.insertingAdapterName(into: key, adapterName: "default", prefix: prefix, anchored: anchored)
            == LoadEngine.insertingAdapterNameByCharacters(
              into: key, adapterName: "default", prefix: prefix, anchored: anchored), "\(key)")
      }
    }
    // torch's load of the model's own keys finds a place for each; a key one part off finds none.
    let ownLoad = TorchStateDictLoader.load(model.tree, model.stateDict)
    #expect(ownLoad.missingKeys.isEmpty && ownLoad.unexpectedKeys.isEmpty && ownLoad.loadedKeys == model.tree.stateDictEntries().map(\.key))
    let stray = StateDict(model.stateDict.entries.map { StateDict.Entry(key: $0.key + "_x", info: $0.info) })
    #expect(TorchStateDictLoader.load(model.tree, stray).unexpectedKeys.count == stray.count)
    // The keys a load shares are the model's own.
    let keys = ModelKeys(model, adapterName: "default")
    #expect(keys.stateDict == model.stateDict)
    let prefixes = model.tunerKeyPrefixes(adapterName: "default")
    let own = keys.ownPrefixes(of: model)
    for entry in keys.entries {
      // `_is_key_under_prefixes`: the key or one of its dotted ancestors is a prefix.
      let under = prefixes.contains { entry.key == $0 || entry.key.hasPrefix($0 + ".") }
      #expect(own.covers(entry.key) == under, "\(entry.key)")
    }
  }

  @Test("a ModuleList's items are found by name when registered out of index order")
  func itemsOutOfOrder() {
    var tree = ModuleTree(root: Module(kind: .container, className: "Root"))
    let list = tree.add(Module(kind: .container, className: "ModuleList"))
    tree.setChild(tree.root, "layers", list)
    let one = tree.add(Module(kind: .other, className: "One"))
    let zero = tree.add(Module(kind: .other, className: "Zero"))
    tree.setChild(list, "1", one)
    tree.setChild(list, "0", zero)
    #expect(tree.module(at: "layers.0") == zero)
    #expect(tree.module(at: "layers.1") == one)
    #expect(tree.module(at: "layers.01") == nil)
    #expect(tree.module(at: "layers.2") == nil)
    #expect(tree.module(at: "layers.") == nil)
    #expect(tree.module(at: "") == tree.root)
  }

  @Test("names are compared as Swift compares strings: KELVIN SIGN is K")
  func canonicalEquivalence() {
    var tree = ModuleTree(root: Module(kind: .container, className: "Root"))
    let kelvin = tree.add(Module(kind: .other, className: "A", tensors: [ModuleTensor(name: "\u{212A}", info: Self.info([1]))]))
    tree.setChild(tree.root, "\u{212A}", kelvin)
    #expect(tree.module(at: "K") == kelvin)
    #expect(tree.module(at: "K.x") == nil)
    let checkpoint = StateDict([
      StateDict.Entry(key: "K.K", info: Self.info([1])), StateDict.Entry(key: "K.J", info: Self.info([1])),
    ])
    let result = TorchStateDictLoader.load(tree, checkpoint)
    #expect(result.missingKeys.isEmpty && result.unexpectedKeys == ["K.J"])
  }

  @Test("torch's load: missing keys in state-dict order, unexpected keys by the module that would own them")
  func torchLoadOrder() {
    var tree = ModuleTree(root: Module(kind: .container, className: "Root"))
    let a = tree.add(Module(kind: .other, className: "A", tensors: [ModuleTensor(name: "w", info: Self.info([2]))]))
    let b = tree.add(
      Module(
        kind: .other, className: "B",
        tensors: [
          ModuleTensor(name: "x", info: Self.info([3])),
          ModuleTensor(name: "buf", info: Self.info([1]), isBuffer: true, persistent: false),
        ]))
    tree.setChild(tree.root, "a", a)
    tree.setChild(tree.root, "b", b)
    let checkpoint = StateDict([
      StateDict.Entry(key: "b.bad", info: Self.info([1])),
      StateDict.Entry(key: "nope.t", info: Self.info([1])),
      StateDict.Entry(key: "a.bad", info: Self.info([1])),
      StateDict.Entry(key: "b.buf", info: Self.info([1])),
      StateDict.Entry(key: "a.w", info: Self.info([2])),
    ])
    let result = TorchStateDictLoader.load(tree, checkpoint)
    #expect(result.missingKeys == ["b.x"])
    #expect(result.loadedKeys == ["a.w"])
    // Visit order root, a, b; within a module, checkpoint order. A non-persistent buffer takes nothing.
    #expect(result.unexpectedKeys == ["nope.t", "a.bad", "b.bad", "b.buf"])
    #expect(result.errorMessages.isEmpty)
  }

  @Test("a repeated key keeps its first position and takes the last value, as a Python dict does")
  func repeatedKeys() {
    let table = StateDict([
      StateDict.Entry(key: "a", info: Self.info([1])),
      StateDict.Entry(key: "b", info: Self.info([2])),
      StateDict.Entry(key: "a", info: Self.info([3])),
    ])
    #expect(table.keys == ["a", "b"])
    #expect(table["a"]?.info.shape == [3])
    #expect(table["b"]?.info.shape == [2])
  }

  @Test(
    "the byte search agrees with Swift's character search",
    arguments: [
      ("model.lora_A.default.weight", "lora_A.default."), ("model.lora_A.other.weight", "lora_A.default."),
      ("a\r\nb", "\r"), ("cafe\u{301}.x", "cafe."), ("café.x", "cafe\u{301}."), ("x", ""), ("", "x"),
    ])
  func containsText(_ text: String, _ needle: String) {
    #expect(text.containsText(needle) == text.contains(needle))
  }

  @Test(
    "the byte replacement agrees with Swift's replacement by characters",
    arguments: [
      ("a.shadow_down.x.weight", "shadow_down.x.", "shadow_down.default."), ("aaaa", "aa", "b"), ("abc", "abcd", "x"),
      ("x.lm_head.y.lm_head", "lm_head", "lm_head.modules_to_save.x"), ("none", "zz", "y"), ("abc", "", "-"),
      ("a\r\nb", "\r", "x"), ("cafe\u{301}.x", "cafe.", "y"), ("caf\u{E9}.x", "x", "y"), ("", "a", "b"),
    ])
  func replacingText(_ text: String, _ needle: String, _ replacement: String) {
    #expect(text.replacingText(needle, with: replacement) == text.replacing(needle, with: replacement))
  }

  @Test(
    "the byte search for a path's dot agrees with Swift's character search",
    arguments: [
      "model.layers.0", "model", "", ".", "a.", ".a", "e\u{301}.x.y", ".\u{301}x.y", "x.\u{301}.y", "\u{600}.a.b",
      "caf\u{E9}.x", "a\r\n.b",
    ])
  func firstDot(_ text: String) {
    #expect(text[...].firstDot() == text.firstIndex(of: "."))
    let tail = text.dropFirst()
    #expect(tail.firstDot() == tail.firstIndex(of: "."))
  }

  @Test(
    "PEFT's adapter-name insertion by bytes agrees with its definition by characters",
    arguments: [
      ("base_model.model.layers.0.lora_A.weight", "lora_"), ("base_model.model.lora_A", "lora_"),
      ("base_model.model.lora_A.", "lora_"), ("x.lora_A.w.lora_B.w", "lora_"), ("lora_A.w.w.w", "lora_"),
      ("no.prefix.here", "lora_"), ("a.lora_X.b.c", "lora_X.b"), ("ab", "b"), ("", "lora_"),
      ("model.caf\u{E9}.lora_A.weight", "lora_"), ("model.lora_A.e\u{301}", "lora_"),
    ])
  func insertingAdapterName(_ key: String, _ prefix: String) {
    for anchored in [false, true] {
      #expect(
        LoadEngine.insertingAdapterName(into: key, adapterName: "default", prefix: prefix, anchored: anchored)
          == LoadEngine.insertingAdapterNameByCharacters(into: key, adapterName: "default", prefix: prefix, anchored: anchored))
    }
  }

  @Test(
    "the adapter name's removal by bytes agrees with its definition by characters",
    arguments: [
      ("a.lora_A.default.weight", "default"), ("a.lora_A.default", "default"), (".default", "default"),
      ("default", "default"), ("a.xdefault.weight", "default"), ("a.b", ""), ("a.", ""), ("a..b", ""),
      ("lora_A.default.weight", "lora_A"), ("e\u{301}.default.w", "default"), ("a.default.w", "d\u{E9}fault"),
      ("a.d\u{E9}fault.w", "de\u{301}fault"),
    ])
  func removingAdapterName(_ key: String, _ name: String) {
    #expect(removeAdapterName(from: key, adapterName: name) == removeAdapterNameByCharacters(from: key, adapterName: name))
  }

  @Test(
    "a path's last component and parent, by bytes, are its split's",
    arguments: ["model.layers.0.q_proj", "q_proj", "", ".", "a.", "a..", ".a", "a.b..", "e\u{301}.x", "x.\u{301}y", "a\r\n.b"])
  func pathParts(_ path: String) {
    #expect(PeftModel.lastComponent(path) == path.split(separator: ".").last ?? "")
    #expect(parentPath(path) == (path.lastIndex(of: ".").map { String(path[..<$0]) } ?? ""))
  }

  @Test(
    "Python's repr of a string",
    arguments: [
      ("lora_A.weight", "'lora_A.weight'"), ("it's", "\"it's\""), ("say \"hi\"", "'say \"hi\"'"),
      ("both ' and \"", "'both \\' and \"'"), ("back\\slash", "'back\\\\slash'"), ("tab\there", "'tab\\there'"),
      ("", "''"), ("caf\u{E9}", "'caf\u{E9}'"), ("\u{7F}", "'\\x7f'"),
    ])
  func pythonRepr(_ text: String, _ repr: String) {
    #expect(AdapterLoading.pythonRepr(text) == repr)
    #expect(pythonListRepr([text, "x"]) == "[\(repr), 'x']")
  }
}
