import AdapterLoading
import TensorIO
import Testing

@testable import Synthesis

/// The rule table on tensor lists built by hand from what PEFT 0.21.2 saved (the reference fixture),
/// so every expectation here follows from the construction.
@Suite struct OutcomeRulesTests {
  static let prefix = "base_model.model.model.layers."

  /// LoRA r=4 on q_proj/v_proj of the tiny llama, as PEFT saved it.
  static func lora(hidden: Int = 16, kvWidth: Int = 8, layers: Int = 2, rank: Int = 4) -> [AdapterTensor] {
    (0..<layers).flatMap { i in
      [
        AdapterTensor(name: "\(prefix)\(i).self_attn.q_proj.lora_A.weight", shape: [rank, hidden]),
        AdapterTensor(name: "\(prefix)\(i).self_attn.q_proj.lora_B.weight", shape: [hidden, rank]),
        AdapterTensor(name: "\(prefix)\(i).self_attn.v_proj.lora_A.weight", shape: [rank, hidden]),
        AdapterTensor(name: "\(prefix)\(i).self_attn.v_proj.lora_B.weight", shape: [kvWidth, rank]),
      ]
    }
  }

  static let base = try! BaseModelSpec(family: .llama).describe()

  func inputs(
    trained: [AdapterTensor] = lora(), expected: [AdapterTensor] = lora(), base: BaseModelDescription = base,
    baseMutations: [BaseMutation] = [], mutations: [AdapterMutation] = [], dtype: DType = .f32,
    context: LoadSetup = LoadSetup()
  ) -> OutcomeRules.Inputs {
    OutcomeRules.Inputs(
      trained: trained, expected: expected, loadingBase: base, baseMutations: baseMutations,
      adapterMutations: mutations, adapterDType: dtype, tunerPrefix: "lora_", context: context)
  }

  @Test func unchangedPairIsClean() throws {
    let outcome = try OutcomeRules.outcome(inputs())
    #expect(outcome.isClean)
    #expect(outcome.diagnostics.isEmpty)
  }

  @Test func modelKeysCarryTheAdapterName() {
    #expect(
      AdapterTensor(name: "a.q_proj.lora_A.weight", shape: [1]).modelKey(adapterName: "second")
        == "a.q_proj.lora_A.second.weight")
    #expect(
      AdapterTensor(name: "a.q_proj.vera_lambda_b", shape: [1], adapterNameDepth: 0).modelKey(adapterName: "x")
        == "a.q_proj.vera_lambda_b.x")
    #expect(
      AdapterTensor(name: "base_model.model.lm_head.weight", shape: [1], adapterNameInfix: "modules_to_save.{name}")
        .modelKey(adapterName: "default") == "base_model.model.lm_head.modules_to_save.default.weight")
  }

  @Test func droppedKeyIsMissingUnderTheLoadingName() throws {
    let key = "\(Self.prefix)1.self_attn.q_proj.lora_B.weight"
    let outcome = try OutcomeRules.outcome(
      inputs(mutations: [.dropKeys([key])], context: LoadSetup(adapterName: "second")))
    #expect(outcome.missingKeys == ["\(Self.prefix)1.self_attn.q_proj.lora_B.second.weight"])
    #expect(outcome.unexpectedKeys.isEmpty)
    #expect(outcome.error == nil)
    #expect(outcome.diagnostics == [.adapterKeyMissing])
  }

  @Test func suffixDropRemovesEveryLayer() throws {
    let outcome = try OutcomeRules.outcome(inputs(mutations: [.dropKeys(["v_proj.lora_A.weight"])]))
    #expect(outcome.missingKeys == (0..<2).map { "\(Self.prefix)\($0).self_attn.v_proj.lora_A.default.weight" })
  }

  @Test func unknownKeyIsUnexpected() throws {
    let outcome = try OutcomeRules.outcome(inputs(mutations: [.addUnknownKey("base_model.model.foo.weight", shape: [2])]))
    #expect(outcome.unexpectedKeys == ["base_model.model.foo.weight"])
    #expect(outcome.missingKeys.isEmpty)
    #expect(outcome.diagnostics == [.checkpointKeyUnexpected])
  }

  @Test func vocabResizeTheAdapterDoesNotReachIsDrift() throws {
    // q/v shapes do not depend on the vocabulary: the loading base expects the same tensors.
    let resized = try BaseModelSpec(family: .llama).applying([.resizeVocab(to: 200, padToMultipleOf: nil)]).describe()
    let outcome = try OutcomeRules.outcome(
      inputs(base: resized, baseMutations: [.resizeVocab(to: 200, padToMultipleOf: nil)]))
    #expect(outcome.isClean)
    #expect(outcome.diagnostics == [.baseDriftIgnored])
  }

  @Test func widerBaseMismatchesEveryTargetedTensor() throws {
    let wide = try BaseModelSpec(family: .llama).applying([.hiddenSize(32)]).describe()
    // hidden 32, 4 heads of 8: q is 32 wide, k/v 2·8 = 16.
    let outcome = try OutcomeRules.outcome(
      inputs(expected: Self.lora(hidden: 32, kvWidth: 16), base: wide, baseMutations: [.hiddenSize(32)]))
    #expect(outcome.error == .sizeMismatch)
    #expect(outcome.mismatched.count == 8)
    #expect(
      outcome.mismatched.first
        == .init(key: "\(Self.prefix)0.self_attn.q_proj.lora_A.default.weight", checkpointShape: [4, 16], modelShape: [4, 32]),
      "named by the model key, as torch names the parameter")
    #expect(outcome.diagnostics == [.shapeMismatch])

    let ignored = try OutcomeRules.outcome(
      inputs(
        expected: Self.lora(hidden: 32, kvWidth: 16), base: wide, baseMutations: [.hiddenSize(32)],
        context: LoadSetup(ignoreMismatchedSizes: true)))
    #expect(ignored.error == nil)
    #expect(ignored.missingKeys.count == 8)
    #expect(ignored.diagnostics == [.adapterKeyMissing, .shapeMismatch])
  }

  @Test func fewerLayersLeaveUnexpectedKeysMoreLayersMissingOnes() throws {
    let shallow = try OutcomeRules.outcome(inputs(expected: Self.lora(layers: 1), baseMutations: [.layerCount(1)]))
    #expect(shallow.unexpectedKeys == Array(Self.lora().suffix(4).map(\.name)))
    #expect(shallow.missingKeys.isEmpty)
    let deep = try OutcomeRules.outcome(inputs(expected: Self.lora(layers: 3), baseMutations: [.layerCount(3)]))
    #expect(deep.missingKeys.count == 4)
    #expect(deep.missingKeys.allSatisfy { $0.contains("layers.2.") && $0.contains(".default.") })
  }

  @Test func keysOfALoadedAdapterOverwriteItAndLeaveTheNewOneMissing() throws {
    let kept = Self.lora().map { tensor in
      var named = tensor
      named.name = tensor.modelKey(adapterName: "default")
      return named
    }
    var loaded: [String: AdapterTensor] = [:]
    for tensor in Self.lora() { loaded[tensor.modelKey(adapterName: "default")] = tensor }
    var input = inputs(context: LoadSetup(adapterName: "second", loadedAdapters: ["default"]))
    input.trained = kept
    input.loadedParameters = loaded
    let outcome = try OutcomeRules.outcome(input)
    #expect(outcome.unexpectedKeys.isEmpty)
    #expect(outcome.missingKeys == Self.lora().map { $0.modelKey(adapterName: "second") })
    #expect(outcome.error == nil)
  }

  @Test func sharedWeightsTheConfigSavesMustBeThere() throws {
    let projection = AdapterTensor(name: "base_model.vera_A", shape: [4, 16], role: .shared, adapterNameDepth: 0)
    var input = inputs(expected: Self.lora() + [projection])
    input.sharedWeightsRequired = true
    #expect(try OutcomeRules.outcome(input).error == .missingSharedWeights)
    input.trained = Self.lora() + [projection]
    #expect(try OutcomeRules.outcome(input).isClean)
    input.trained = Self.lora()
    input.sharedWeightsRequired = false
    input.sharedWeightsRegenerated = true
    #expect(try OutcomeRules.outcome(input).error == nil)
  }

  @Test func wrongRankIsASizeMismatch() throws {
    let key = "\(Self.prefix)0.self_attn.v_proj.lora_B.weight"
    let outcome = try OutcomeRules.outcome(inputs(mutations: [.wrongRank(key: key, dimension: 1, size: 8)]))
    #expect(
      outcome.mismatched == [
        .init(key: "\(Self.prefix)0.self_attn.v_proj.lora_B.default.weight", checkpointShape: [8, 8], modelShape: [8, 4])
      ])
    #expect(outcome.error == .sizeMismatch)
  }

  @Test func keysWithoutThePrefixAreAllUnexpectedAndAllMissing() throws {
    let outcome = try OutcomeRules.outcome(inputs(mutations: [.stripPrefix]))
    #expect(outcome.unexpectedKeys.count == 8)
    #expect(outcome.unexpectedKeys.allSatisfy { $0.hasPrefix("model.layers.") })
    #expect(outcome.missingKeys.count == 8)
  }

  @Test func keysThatKeepTheAdapterName() throws {
    // Saved as the model names adapter `default`: they fill `default`…
    let same = try OutcomeRules.outcome(inputs(mutations: [.keepAdapterName("default")]))
    #expect(same.isClean)
    // …but not an adapter loaded under another name.
    let other = try OutcomeRules.outcome(
      inputs(mutations: [.keepAdapterName("default")], context: LoadSetup(adapterName: "second", loadedAdapters: ["default"])))
    #expect(other.unexpectedKeys.count == 8)
    #expect(other.unexpectedKeys.allSatisfy { $0.contains(".default.") })
    #expect(other.missingKeys.allSatisfy { $0.contains(".second.") })
  }

  @Test func embeddingsSavedForAResizedVocab() throws {
    let into128 = try OutcomeRules.outcome(inputs(mutations: [.saveEmbeddings(vocabSize: 136)]))
    #expect(into128.error == .sizeMismatch)
    #expect(
      into128.mismatched == [
        .init(key: "base_model.model.model.embed_tokens.weight", checkpointShape: [136, 16], modelShape: [128, 16]),
        .init(key: "base_model.model.lm_head.weight", checkpointShape: [136, 16], modelShape: [128, 16]),
      ])
    #expect(into128.diagnostics == [.baseWeightInCheckpoint, .embeddingSizeMismatch, .shapeMismatch])
    #expect(into128.unexpectedKeys.isEmpty)

    let resized = try BaseModelSpec(family: .llama).applying([.resizeVocab(to: 136, padToMultipleOf: nil)]).describe()
    let into136 = try OutcomeRules.outcome(
      inputs(base: resized, baseMutations: [.resizeVocab(to: 136, padToMultipleOf: nil)], mutations: [.saveEmbeddings(vocabSize: 136)]))
    #expect(into136.isClean)
    #expect(into136.diagnostics == [.baseWeightInCheckpoint])
  }

  @Test func sharedProjectionsThatAreNotSavedAreRegenerated() throws {
    let vera = [
      AdapterTensor(name: "\(Self.prefix)0.self_attn.q_proj.vera_lambda_b", shape: [16], adapterNameDepth: 0),
      AdapterTensor(name: "\(Self.prefix)0.self_attn.q_proj.vera_lambda_d", shape: [4], adapterNameDepth: 0),
    ]
    let shared = [
      AdapterTensor(name: "base_model.vera_A", shape: [4, 16], role: .shared, adapterNameDepth: 0),
      AdapterTensor(name: "base_model.vera_B", shape: [16, 4], role: .shared, adapterNameDepth: 0),
    ]
    var withoutProjections = inputs(trained: vera, expected: vera + shared)
    withoutProjections.tunerPrefix = "vera_lambda_"
    withoutProjections.sharedWeightsRegenerated = true
    let outcome = try OutcomeRules.outcome(withoutProjections)
    #expect(outcome.isClean)
    #expect(outcome.diagnostics == [.sharedWeightsRegenerated])

    var dropped = inputs(trained: vera + shared, expected: vera + shared, mutations: [.dropKeys(["base_model.vera_A"])])
    dropped.tunerPrefix = "vera_lambda_"
    #expect(try OutcomeRules.outcome(dropped).missingKeys == ["base_model.vera_A.default"])
  }

  @Test func adapterNamePitfalls() throws {
    let prefixName = try OutcomeRules.outcome(inputs(context: LoadSetup(adapterName: "lora")))
    #expect(prefixName.isClean)
    #expect(prefixName.diagnostics == [.adapterNameCollision])
    let substring = try OutcomeRules.outcome(inputs(context: LoadSetup(adapterName: "def", loadedAdapters: ["default"])))
    #expect(substring.isClean)
    #expect(substring.diagnostics == [.adapterNameCollision])
    let distinct = try OutcomeRules.outcome(inputs(context: LoadSetup(adapterName: "second", loadedAdapters: ["default"])))
    #expect(distinct.diagnostics.isEmpty)
  }

  /// PEFT's substring tests are Python's `in`, by code point: `"e" in "e\u0301"` is true (the accent is a code
  /// point of its own) and `"\u00e9" in "e\u0301x"` false (no canonical equivalence), where comparing characters
  /// would say the opposite of both.
  @Test(arguments: [("e", "e\u{301}", true), ("\u{e9}", "e\u{301}x", false), ("e\u{301}", "xe\u{301}", true)])
  func adapterNameContainmentIsByCodePoint(name: String, loaded: String, collides: Bool) throws {
    let outcome = try OutcomeRules.outcome(inputs(context: LoadSetup(adapterName: name, loadedAdapters: [loaded])))
    #expect(outcome.diagnostics.contains(.adapterNameCollision) == collides)
  }

  @Test func adapterDTypeDifferentFromTheBaseIsACast() throws {
    let outcome = try OutcomeRules.outcome(inputs(mutations: [.dtype(.bf16)], dtype: .bf16))
    #expect(outcome.isClean)
    #expect(outcome.diagnostics == [.dtypeCast])
  }

  @Test func noTargetInTheLoadingBaseFailsTheLoad() throws {
    let outcome = try OutcomeRules.outcome(inputs(expected: []))
    #expect(outcome.error == .targetNotFound)
    #expect(outcome.diagnostics == [.targetNotFound])
  }

  @Test func mutationsThatCannotApplyNameTheirField() {
    #expect(throws: SynthesisError(field: "mutations[1].keys", .invalidValue("no checkpoint key is or ends with 'lora_C.weight'"))) {
      try OutcomeRules.outcome(inputs(mutations: [.dtype(.f16), .dropKeys(["lora_C.weight"])]))
    }
    #expect(throws: SynthesisError.self) {
      try OutcomeRules.outcome(inputs(mutations: [.wrongRank(key: "\(Self.prefix)0.self_attn.q_proj.lora_A.weight", dimension: 2, size: 3)]))
    }
  }

  @Test func manifestFormIsStable() throws {
    let outcome = try OutcomeRules.outcome(inputs(mutations: [.dropKeys(["\(Self.prefix)0.self_attn.q_proj.lora_A.weight"])]))
    let text = JSONWriter.compact.string(outcome.json)
    #expect(text.hasPrefix("{\"clean\":false,\"missing_keys\":[\"base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight\"]"))
    #expect(text.contains("\"error\":null,\"diagnostics\":[\"adapter-key-missing\"]"))
  }
}
