import Foundation
import Testing
import TensorIO
import TestSupport

@testable import AdapterLoading

/// The base-model schema against what transformers 5.24 really builds (recorded by
/// `scripts/recorders/record_architectures.py`): state-dict names, shapes and order, tied weights,
/// fused MoE experts.
@Suite("Base model schema")
struct BaseModelTests {
  static let cases = Fixtures.names(in: "architectures")

  @Test("state_dict() order and shapes match transformers", arguments: cases)
  func stateDictMatchesTransformers(_ name: String) throws {
    let record = try Fixtures.object("architectures/\(name).json")
    let config = try #require(record["config"]?.objectValue)
    let saved = try #require(record["saved_tensors"]).tensorList()
    let expected = try #require(record["state_dict"]).tensorList()
    let model = try BaseModel(config: config, weights: try table(saved), source: name)
    let actual = model.stateDict.entries.map { ($0.key, $0.info.shape) }
    #expect(actual.map(\.0) == expected.map(\.0))
    #expect(actual.map(\.1) == expected.map(\.1.shape))
  }

  @Test("module kinds follow the classes transformers instantiates", arguments: cases)
  func moduleKinds(_ name: String) throws {
    let record = try Fixtures.object("architectures/\(name).json")
    let config = try #require(record["config"]?.objectValue)
    let model = try BaseModel(config: config, weights: try table(try #require(record["saved_tensors"]).tensorList()))
    let classes = try #require(record["modules"]?.arrayValue).compactMap { row -> (String, String)? in
      guard let items = row.arrayValue, items.count == 2, let n = items[0].stringValue, let c = items[1].stringValue else {
        return nil
      }
      return (n, c)
    }
    for (path, className) in classes where !path.isEmpty {
      guard let node = model.tree.module(at: path) else { continue }  // parameter-free modules are not in the file
      let kind = model.tree[node].kind
      switch className {
      case "Linear": #expect(isLinear(kind), "\(path)")
      case "Conv1D": #expect(isConv1D(kind), "\(path)")
      case "Embedding", _ where className.hasSuffix("ScaledWordEmbedding"): #expect(isEmbedding(kind), "\(path)")
      case "LayerNorm": #expect(isLayerNorm(kind), "\(path)")
      case _ where className.hasSuffix("RMSNorm") || className == "T5LayerNorm": #expect(isRMSNorm(kind), "\(path)")
      case _ where className.hasSuffix("Experts"): #expect(kind == .experts, "\(path)")
      default: break
      }
    }
  }

  @Test("tie flags and embedding locations")
  func tiesAndEmbeddings() throws {
    let gpt2 = try load("gpt2")
    #expect(gpt2.tieWordEmbeddings)
    #expect(gpt2.inputEmbeddingPath == "transformer.wte")
    #expect(gpt2.outputEmbeddingPath == "lm_head")
    #expect(gpt2.stateDict["lm_head.weight"]?.tiedTo == "transformer.wte.weight")
    let t5 = try load("t5")
    #expect(t5.inputEmbeddingPath == "shared")
    #expect(t5.stateDict["decoder.embed_tokens.weight"]?.tiedTo == "shared.weight")
    let llama = try load("llama")
    #expect(!llama.tieWordEmbeddings)
    #expect(llama.stateDict["lm_head.weight"]?.tiedTo == nil)
    let bert = try load("bert")
    #expect(bert.outputEmbeddingPath == nil)
    #expect(bert.inputEmbeddingPath == "bert.embeddings.word_embeddings")
  }

  @Test("a legacy GPT-2 checkpoint without the `transformer.` prefix gets it, and old buffers are dropped")
  func legacyPrefix() throws {
    let record = try Fixtures.object("architectures/gpt2.json")
    let config = try #require(record["config"]?.objectValue)
    var saved = try #require(record["saved_tensors"]).tensorList()
    saved = saved.map { (String($0.0.dropFirst("transformer.".count)), $0.1) }
    saved.append(("h.0.attn.bias", TensorInfo(dtype: .f32, shape: [1, 1, 32, 32])))
    let model = try BaseModel(config: config, weights: try table(saved))
    let expected = try #require(record["state_dict"]).tensorList().map(\.0)
    #expect(model.stateDict.keys == expected)
  }

  @Test("a BERT checkpoint saved with LayerNorm gamma and beta loads under transformers' names")
  func legacyLayerNormNames() throws {
    let record = try Fixtures.object("architectures/bert.json")
    let config = try #require(record["config"]?.objectValue)
    let saved = try #require(record["saved_tensors"]).tensorList().map { key, info in
      (key.replacing("LayerNorm.weight", with: "LayerNorm.gamma").replacing("LayerNorm.bias", with: "LayerNorm.beta"), info)
    }
    let renamed = saved.filter { $0.0.hasSuffix(".gamma") || $0.0.hasSuffix(".beta") }.count
    #expect(renamed > 0)
    let model = try BaseModel(config: config, weights: try table(saved))
    #expect(model.stateDict.keys == (try #require(record["state_dict"]).tensorList().map(\.0)))
    #expect(model.notes.contains { $0.hasPrefix("renamed \(renamed) checkpoint key(s)") })
  }

  @Test("a renaming is skipped only when no key holds a literal its matches need")
  func joinedKeysPrefilter() throws {
    let bert = Architecture.resolve(modelType: "bert", modelClass: "BertModel")
    let gamma = try #require(bert.keyRenamings.first { $0.apply(to: "a.LayerNorm.gamma") != nil })
    let info = TensorInfo(dtype: .f32, shape: [1])
    var absent = JoinedKeys([("a.norm.weight", info), ("b.gamma", info)])
    var present = JoinedKeys([("a.norm.weight", info), ("b.LayerNorm.gamma", info)])
    // Two keys that spell the literal only across their boundary do not count.
    var across = JoinedKeys([("a.Layer", info), ("Norm.gamma", info)])
    // Asked twice: the second answer is the first one's, kept.
    for _ in 0..<2 {
      #expect(!gamma.mayMatchAny(of: &absent))
      #expect(gamma.mayMatchAny(of: &present))
      #expect(!gamma.mayMatchAny(of: &across))
    }
  }

  @Test("inconsistent expert weights are a typed error naming the block")
  func badExperts() throws {
    let record = try Fixtures.object("architectures/mixtral.json")
    let config = try #require(record["config"]?.objectValue)
    let saved = try #require(record["saved_tensors"]).tensorList().filter { $0.0 != "model.layers.0.block_sparse_moe.experts.1.w2.weight" }
    #expect(throws: BaseModelError.self) { try BaseModel(config: config, weights: try table(saved)) }
  }

  @Test("keys in any order build the same model (each key resumes the previous key's path)", arguments: cases)
  func keyOrderDoesNotChangeTheModel(_ name: String) throws {
    let record = try Fixtures.object("architectures/\(name).json")
    let config = try #require(record["config"]?.objectValue)
    let saved = try #require(record["saved_tensors"]).tensorList()
    let built = try BaseModel(config: config, weights: try table(saved)).stateDict.entries.map(\.key)
    // The path of the previous key is reused: keys in reverse and interleaved orders build the same model.
    let interleaved = saved.enumerated().sorted { ($0.offset % 3, $0.offset) < ($1.offset % 3, $1.offset) }.map(\.element)
    for order in [Array(saved.reversed()), interleaved] {
      #expect(try BaseModel(config: config, weights: try table(order)).stateDict.entries.map(\.key) == built)
    }
  }

  @Test("sorted runs of ASCII keys and keys with other bytes build every module once, each where its keys put it")
  func asciiAndOtherKeysInterleaved() throws {
    var rng = SeededGenerator(seed: 0xA5C1_1DEE)
    let parts = ["model", "layers", "0", "1", "10", "mlp", "up", "é", "x\u{301}", "w"]
    var keys: Set<String> = []
    while keys.count < 400 {
      let depth = 1 + Int(rng.next() % 5)
      keys.insert((0..<depth).map { _ in parts[Int(rng.next() % UInt64(parts.count))] }.joined(separator: ".") + ".weight")
    }
    // Sorted by bytes: runs sharing long paths, ASCII keys next to ones with other bytes.
    let ordered = keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    let model = try Build.custom(ordered.map { ($0, [2, 2]) }, config: [("model_type", .string("acme_lm"))])
    #expect(Set(model.stateDict.entries.map { Array($0.key.utf8) }) == Set(ordered.map { Array($0.utf8) }))
    // Every module is a dotted prefix of some key, built once.
    var prefixes: Set<[UInt8]> = []
    for key in ordered {
      let bytes = Array(key.utf8)
      for (i, b) in bytes.enumerated() where b == UInt8(ascii: ".") { prefixes.insert(Array(bytes[..<i])) }
    }
    let modules = model.tree.namedModules().map { Array($0.name.utf8) }.filter { !$0.isEmpty }
    #expect(modules.count == prefixes.count && Set(modules) == prefixes)
  }

  @Test("keys whose dots carry combining marks stay distinct, and each is found where it was built")
  func combiningMarksNearDots() throws {
    let keys = [
      "trunk.\u{301}x.weight", "trunk.\u{301}x.bias", "trunk.x.weight", "trunk.e\u{301}.weight", "trunk\u{600}.y.weight",
      "trunk.x.\u{301}.weight",
    ]
    let model = try Build.custom(keys.map { ($0, [2, 2]) }, config: [("model_type", .string("acme_lm"))])
    #expect(model.stateDict.entries.count == keys.count)
    #expect(Set(model.stateDict.entries.map { Array($0.key.utf8) }) == Set(keys.map { Array($0.utf8) }))
    for key in keys {
      let path = try #require(key.utf8.lastIndex(of: UInt8(ascii: ".")).map { String(key[..<$0]) })
      #expect(model.tree.module(at: path) != nil, "\(Array(key.unicodeScalars))")
    }
  }

  @Test("per-expert slots answer as a table would, for any order of indices, repeats and stray huge ones", arguments: [1, 2, 3])
  func expertSlotsAreATable(seed: UInt64) {
    var generator = SeededGenerator(seed: seed)
    var slots = ExpertSlots(capacity: 8)
    var table: [Int: Int] = [:]
    for step in 0..<2_000 {
      let expert =
        switch Int.random(in: 0..<10, using: &generator) {
        case 0: Int.random(in: 0..<1_000_000_000, using: &generator)
        case 1: Int.random(in: 100..<400, using: &generator)
        default: Int.random(in: 0..<160, using: &generator)
        }
      slots.set(step, at: expert)
      table[expert] = step
      #expect(slots.count == table.count)
    }
    for expert in Array(table.keys) + Array(0..<500) + [999_999_999] {
      #expect(slots[expert] == table[expert], "expert \(expert)")
    }
  }

  private func load(_ name: String) throws -> BaseModel {
    let record = try Fixtures.object("architectures/\(name).json")
    return try BaseModel(
      config: try #require(record["config"]?.objectValue), weights: try table(try #require(record["saved_tensors"]).tensorList()))
  }

  private func isLinear(_ k: ModuleKind) -> Bool { if case .linear = k { true } else { false } }
  private func isConv1D(_ k: ModuleKind) -> Bool { if case .conv1D = k { true } else { false } }
  private func isEmbedding(_ k: ModuleKind) -> Bool { if case .embedding = k { true } else { false } }
  private func isLayerNorm(_ k: ModuleKind) -> Bool { if case .layerNorm = k { true } else { false } }
  private func isRMSNorm(_ k: ModuleKind) -> Bool { if case .rmsNorm = k { true } else { false } }
}
