import AdapterLoading
import Foundation
import TensorIO
import TestSupport
import Testing

@testable import Synthesis

/// Generated pairs loaded by real PEFT 0.21.2 (`scripts/checks/check_adapters.py`). Needs
/// `ADAPTEST_PYTHON`.
@Suite(.serialized) struct PEFTCheckTests {
  static let pythonMissing = ReferencePython.path == nil

  struct Observed {
    var missing: [String]?
    var unexpected: [String]?
    var errorKind: String?
    var line: String
  }

  static func run(_ plans: [(String, PairPlan)]) throws -> [String: Observed] {
    let folder = TemporaryDirectory("peft-check")
    let writer = PairWriter(formats: TestFormats.all)
    var paths: [String] = []
    for (name, plan) in plans {
      let path = FileSystem.join(folder.path, name)
      try writer.write(plan, to: path, format: .safetensors, seed: 17)
      paths.append(path)
    }
    let result = try ReferencePython.runScript("checks/check_adapters.py", arguments: paths)
    var observed: [String: Observed] = [:]
    for line in result.output.split(separator: "\n") {
      let json = try JSONValue.parse(String(line))
      guard let pair = json["pair"]?.stringValue else { continue }
      observed[pair] = Observed(
        missing: json["missing_keys"]?.arrayValue?.compactMap(\.stringValue),
        unexpected: json["unexpected_keys"]?.arrayValue?.compactMap(\.stringValue),
        errorKind: json["error"]?["kind"]?.stringValue, line: String(line))
    }
    #expect(observed.count == plans.count, "stderr: \(result.error.suffix(3000))")
    return observed
  }

  /// Done-when of the synthesis issue: every tuner's generated adapter loads into the unmutated
  /// base with nothing missing and nothing unexpected.
  @Test(.disabled(if: pythonMissing, "ADAPTEST_PYTHON is not set: no Python with PEFT to check against"))
  func everyTunerLoadsCleanlyIntoItsBase() throws {
    var plans: [(String, PairPlan)] = []
    for (variant, family, adapter) in AdapterConfigTests.variants {
      plans.append((variant, try PairPlan(PairSpec(id: variant, base: BaseModelSpec(family: family), adapter: adapter))))
    }
    for (variant, plan) in plans { #expect(plan.outcome.isClean, "\(variant): \(plan.outcome.reasons)") }
    let observed = try Self.run(plans)
    for (variant, plan) in plans {
      let result = try #require(observed[variant], "\(variant) was not checked")
      #expect(result.errorKind == nil, "\(result.line)")
      if plan.spec.adapter.peftType == "VBLORA" {
        // load_adapter reports each layer's reference to the shared vector bank (from_pretrained
        // filters them out; peft-semantics §6.31).
        #expect(result.missing?.allSatisfy { $0.hasSuffix(".vblora_vector_bank.default") } == true, "\(result.line)")
        #expect(result.missing?.count == 4, "\(result.line)")
      } else {
        #expect(result.missing == [], "\(result.line)")
      }
      // PEFT passes the prompt encoder's checkpoint key through to torch, which reports it
      // (peft-semantics §6.32); every other tuner's keys load without remainder.
      let promptLearning = PEFTConfigDefaults.promptLearningTypes.contains(plan.spec.adapter.peftType)
      let encoderKeys = plan.spec.adapter.peftType == "MULTITASK_PROMPT_TUNING"
        ? ["prefix_task_cols", "prefix_task_rows", "prompt_embeddings"] : ["prompt_embeddings"]
      #expect(result.unexpected == (promptLearning ? encoderKeys : []), "\(result.line)")
    }
  }

  /// The rule table against real PEFT where PEFT's semantics are the correct ones.
  @Test(.disabled(if: pythonMissing, "ADAPTEST_PYTHON is not set: no Python with PEFT to check against"))
  func derivedOutcomesMatchPEFTOnMutatedPairs() throws {
    let lora = AdapterConfigSpec(
      peftType: "LORA",
      fields: JSONObject([("r", .number("4")), ("target_modules", .array([.string("q_proj"), .string("v_proj")]))]))
    let base = BaseModelSpec(family: .llama)
    func plan(_ base: [BaseMutation] = [], _ adapter: [AdapterMutationRequest] = [], load: LoadSetup = LoadSetup(), loaded: [String] = [], spec: AdapterConfigSpec = lora, on family: ModelFamily = .llama) throws -> PairPlan {
      try PairPlan(
        PairSpec(
          id: "x", base: BaseModelSpec(family: family), baseMutations: base.map { WrittenMutation($0, path: "base") },
          adapter: spec, adapterMutations: adapter.map { WrittenMutation($0, path: "adapter") },
          load: LoadSetup(adapterName: load.adapterName, loadedAdapters: loaded, ignoreMismatchedSizes: load.ignoreMismatchedSizes),
          loaded: loaded.map { LoadedAdapterSpec(name: $0) }))
    }
    _ = base
    let plans: [(String, PairPlan)] = [
      ("vocab-up", try plan([.resizeVocab(to: 160, padToMultipleOf: nil)])),
      ("vocab-down-padded", try plan([.resizeVocab(to: 100, padToMultipleOf: 8)])),
      ("vocab-second", try plan([.resizeVocab(to: 160, padToMultipleOf: nil)], load: LoadSetup(adapterName: "second"), loaded: ["default"])),
      ("untied-to-tied", try plan([.tieWordEmbeddings(true)])),
      ("bf16-base-sharded", try plan([.dtype(.bf16), .shards(2)])),
      ("drop-b", try plan([], [.dropKeys(["model.layers.1.self_attn.v_proj.lora_B.weight"])])),
      ("drop-match", try plan([], [.dropMatching("layers\\.0\\..*lora_A")])),
      ("unknown-key", try plan([], [.addKey(name: "base_model.model.foo.weight", shape: [2, 2], dtype: .f32)])),
      ("fewer-layers", try plan([.layerCount(1)])),
      ("strip-prefix", try plan([], [.stripPrefix])),
      ("fp16-adapter", try plan([], [.dtype(.f16)])),
      ("wider", try plan([.hiddenSize(32)])),
      ("wrong-rank", try plan([], [.wrongRank(rank: 2, modules: ["v_proj"])])),
      ("wrong-rank-ignored", try plan([], [.wrongRank(rank: 2, modules: ["v_proj"])], load: LoadSetup(ignoreMismatchedSizes: true))),
      ("embeddings-140", try plan([], [.saveEmbeddings(vocabSize: 140)])),
      ("embeddings-140-resized", try plan([.resizeVocab(to: 140, padToMultipleOf: nil)], [.saveEmbeddings(vocabSize: 140)])),
      ("kv-heads", try plan([.headCount(heads: 4, keyValueHeads: 4)])),
      ("gpt2-vocab", try plan([.resizeVocab(to: 200, padToMultipleOf: nil)], spec: AdapterConfigTests.variants.first { $0.0 == "lora-conv1d" }!.2, on: .gpt2)),
    ]
    let observed = try Self.run(plans)
    for (name, plan) in plans {
      let result = try #require(observed[name], "\(name) was not checked")
      let expected = plan.outcome
      switch expected.error {
      case .sizeMismatch?: #expect(result.errorKind == "RuntimeError", "\(name): \(result.line)")
      case .targetNotFound?: #expect(result.errorKind == "NoMatchingPeftModuleError", "\(name): \(result.line)")
      case .missingSharedWeights?: #expect(result.errorKind == "ValueError", "\(name): \(result.line)")
      case nil:
        #expect(result.errorKind == nil, "\(name): \(result.line)")
        #expect(result.missing == expected.missingKeys, "\(name): \(result.line)")
        #expect(result.unexpected == expected.unexpectedKeys, "\(name): \(result.line)")
      case let other?: Issue.record("\(name): the rule table derived \(other), which this check does not know")
      }
    }
  }
}
