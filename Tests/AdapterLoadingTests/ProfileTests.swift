import Foundation
import Testing
import TensorIO

@testable import AdapterLoading

/// The `recommended` profile on the real-PEFT ground truth (the older PEFT lines are replayed against
/// their own releases in `ReleaseGroundTruthTests`).
@Suite("Load profiles")
struct ProfileTests {
  static let cases = GroundTruth.loadAdapterCaseIDs

  static func run(_ id: String, profile: LoadProfile) throws -> (LoadOutcome, JSONObject) {
    let record = try GroundTruth.record(id)
    let load = try #require(record["load"]?.objectValue)
    let loaded = try GroundTruth.loadedAdapters(load)
    let context = LoadContext(
      adapterName: try #require(load["adapter_name"]?.stringValue), loaded: loaded,
      ignoreMismatchedSizes: load["ignore_mismatched_sizes"]?.boolValue ?? false,
      lowCPUMemUsage: load["low_cpu_mem_usage"]?.boolValue ?? false)
    let outcome = LoadSimulator.simulate(
      base: try GroundTruth.base(try #require(record["base"]?.stringValue)),
      adapter: try GroundTruth.adapter(try #require(record["adapter"]?.stringValue)), context: context, profile: profile)
    return (outcome, try #require(record["load_adapter"]?.objectValue))
  }

  /// The recommended profile never reports another adapter's or a base tensor as missing, never
  /// crashes on a missing auxiliary tensor, and fails exactly when the adapter cannot be used as trained.
  @Test("recommended: only this adapter's tensors can be missing", arguments: cases)
  func recommendedMissingKeysAreOwn(_ id: String) throws {
    let (outcome, recorded) = try Self.run(id, profile: .recommended)
    let name = outcome.adapterName
    // An adaption prompt's wrapper parameters carry no adapter name: only the loading adapter's wrappers are in
    // the model while it loads.
    let wrapperParameters = try GroundTruth.record(id)["adapter_peft_type"]?.stringValue == "ADAPTION_PROMPT"
      ? [".adaption_prompt", ".adaption_gate"] : []
    for key in outcome.missingKeys {
      #expect(
        key.contains(".\(name).") || key.hasSuffix(".\(name)") || wrapperParameters.contains { key.hasSuffix($0) },
        "\(id): \(key)")
    }
    // A KeyError would be a crash on a missing tensor, unless real PEFT raises one itself before loading
    // (TinyLoRA and FRoD index their targets and refuse an unsupported one with a KeyError).
    if recorded["error"]?.objectValue?["type"]?.stringValue != "KeyError" {
      #expect(outcome.error?.kind != "KeyError", "\(id)")
    }
    if !outcome.missingKeys.isEmpty {
      #expect(outcome.diagnostics.contains { $0.code == .adapterKeyMissing && $0.severity == .error }, "\(id)")
    }
  }

  struct Expectation: Sendable, CustomStringConvertible {
    var id: String
    var codes: [DiagnosticCode]
    var status: LoadOutcome.Status
    var message: String? = nil
    var fix: String? = nil
    var description: String { id }
  }

  /// Expectations from the issue and DESIGN.md's diagnostic list.
  static let expectations: [Expectation] = [
    Expectation(
      id: "embeddings--lora-v140-embeddings--llama-v128", codes: [.embeddingSizeMismatch], status: .fails,
      message: "adapter saved embeddings for 140 tokens, base has 128: the load fails",
      fix: "resize the base's token embeddings to 140 before loading (model.resize_token_embeddings(140))"),
    Expectation(
      id: "embeddings--lora-v140-embeddings--llama-v128--ignore-mismatched", codes: [.embeddingSizeMismatch], status: .fails,
      message: "adapter saved embeddings for 140 tokens, base has 128: the saved rows are discarded and the base keeps 128 "
        + "(tokens added in training lose their embeddings)"),
    Expectation(id: "embeddings--lora-v140-embeddings--llama-v120", codes: [.embeddingSizeMismatch], status: .fails,
                message: "adapter saved embeddings for 140 tokens, base has 120: the load fails"),
    Expectation(id: "embeddings--t5-lora-v140-embeddings--t5-v128", codes: [.embeddingSizeMismatch], status: .fails),
    Expectation(id: "resized--lora-r4--llama-v140", codes: [], status: .clean),
    Expectation(id: "resized--lora-r4--llama-v120", codes: [], status: .clean),
    Expectation(id: "resized--prompt-tuning--llama-v140", codes: [], status: .clean),
    Expectation(id: "roundtrip--lora-v140-embeddings", codes: [.baseWeightInCheckpoint], status: .clean),
    Expectation(id: "names--def-after-default", codes: [.adapterNameCollision], status: .warnings),
    Expectation(id: "names--other-after-other2", codes: [.adapterNameCollision], status: .warnings),
    Expectation(id: "names--lora", codes: [.adapterNameCollision], status: .warnings),
    // PEFT replaces the loaded adapter's weights in silence: the name being taken is worth a warning.
    Expectation(id: "names--overwrite-default", codes: [.adapterNameCollision], status: .warnings),
    Expectation(id: "mutated--lora-mts-lmhead--no-lmhead", codes: [.adapterKeyMissing], status: .fails),
    Expectation(id: "mutated--lora-trainable-tokens--no-delta", codes: [.adapterKeyMissing], status: .fails),
    Expectation(id: "mutated--lora-r4--drop-lora-b", codes: [.adapterKeyMissing], status: .fails),
    Expectation(id: "mutated--lora-r4--extra-keys", codes: [.checkpointKeyUnexpected], status: .warnings),
    Expectation(id: "mutated--lora-r4--no-prefix", codes: [.adapterKeyMissing, .checkpointKeyUnexpected], status: .fails),
    Expectation(id: "mutated--lora-r4--base-weight", codes: [.baseWeightInCheckpoint], status: .warnings),
    Expectation(id: "mutated--lora-r4--target-nonexistent-only", codes: [.targetNotFound], status: .fails),
    Expectation(id: "mutated--lora-r4--target-q-and-nonexistent", codes: [.targetNotFound, .checkpointKeyUnexpected], status: .warnings),
    Expectation(id: "cross-arch--lora-r4--gpt2-v128", codes: [.targetNotFound], status: .fails),
    Expectation(id: "mutated--lora-r4--fp16", codes: [.dtypeCast], status: .clean),
    Expectation(id: "mutated--lora-r4--wrong-rank", codes: [.shapeMismatch], status: .fails),
    Expectation(id: "wider--lora-r4--llama-h32", codes: [.shapeMismatch], status: .fails),
    Expectation(id: "mutated--vera-proj--no-vera-a", codes: [.loadError], status: .fails),
    Expectation(id: "roundtrip--vera-noproj", codes: [.sharedWeightsRegenerated], status: .warnings),
    Expectation(id: "roundtrip--vblora", codes: [], status: .clean),
    Expectation(id: "names--mixed-tuner-types", codes: [.loadError], status: .fails),
    Expectation(id: "roundtrip--mpt", codes: [], status: .clean),
    Expectation(id: "mutated--mpt--no-task-cols", codes: [.adapterKeyMissing], status: .fails),
    Expectation(id: "mutated--mpt--tasks-3", codes: [.shapeMismatch], status: .fails),
    Expectation(id: "roundtrip--cpt", codes: [], status: .clean),
    Expectation(id: "mutated--cpt--two-ids", codes: [.shapeMismatch], status: .fails),
    Expectation(id: "roundtrip--cartridge", codes: [], status: .clean),
    Expectation(id: "mutated--cartridge--virtual-5", codes: [.loadError], status: .fails),
    Expectation(id: "mutated--mpt--no-embeddings", codes: [.adapterKeyMissing], status: .fails),
  ]

  @Test("recommended: diagnostics", arguments: expectations)
  func recommendedDiagnostics(_ e: Expectation) throws {
    let (outcome, real) = try Self.run(e.id, profile: .recommended)
    let codes = Set(outcome.diagnostics.filter { $0.severity != .info || e.codes.contains($0.code) }.map(\.code))
    #expect(codes == Set(e.codes), "\(outcome.diagnostics)")
    // An error diagnostic on a load real PEFT completes is "loads, but the adapter is broken", never "fails".
    let raises = real["error"].map { !$0.isNull } ?? false
    let status = e.status == .fails && !raises ? LoadOutcome.Status.broken : e.status
    #expect(outcome.status == status, "\(outcome.diagnostics)")
    if status == .broken { #expect(outcome.text().hasPrefix("loads, but the adapter is broken")) }
    if let message = e.message {
      #expect(outcome.diagnostics.contains { $0.message == message }, "\(outcome.diagnostics)")
    }
    if let fix = e.fix {
      #expect(outcome.diagnostics.contains { $0.fix == fix }, "\(outcome.diagnostics)")
    }
  }

  @Test("recommended: configured targets that match no module are named, dotted and non-ASCII entries included")
  func absentTargetsNamed() throws {
    let targets = ["q_proj", "self_attn.v_proj", "nonexistent", "attn.q_proj", "ünï", "layers.0.self_attn.k_proj"]
    let adapter = Build.adapter(try Build.lora(targets), Build.loraCheckpoint(["q_proj", "v_proj", "k_proj"]))
    let outcome = Build.simulate(try Build.base(), adapter, profile: .recommended)
    let finding = try #require(outcome.diagnostics.first { $0.code == .targetNotFound }, "\(outcome.diagnostics)")
    #expect(finding.severity == .warning)
    // `attn.q_proj` is no module's dotted suffix (`self_attn.q_proj` is).
    #expect(finding.keys == ["nonexistent", "attn.q_proj", "ünï"])
  }

  @Test("JSON report carries every field of the issue")
  func jsonFields() throws {
    let (outcome, _) = try Self.run("mutated--lora-r4--wrong-rank--ignore-mismatched", profile: .peft)
    let object = try #require(outcome.json.objectValue)
    for field in ["missing_keys", "unexpected_keys", "mismatched", "error", "warnings", "diagnostics", "status", "profile"] {
      #expect(object[field] != nil, "\(field)")
    }
    let mismatch = try #require(object["mismatched"]?.arrayValue?.first?.objectValue)
    #expect(mismatch["key"] == .string("base_model.model.model.layers.0.self_attn.q_proj.lora_A.other.weight"))
    #expect(mismatch["checkpoint_shape"] == .array([.number("8"), .number("16")]))
    #expect(mismatch["model_shape"] == .array([.number("4"), .number("16")]))
    #expect(object["status"] == .string("warnings"))
    let failing = try Self.run("mutated--lora-r4--wrong-rank", profile: .peft).0
    #expect(failing.json["error"]?["type"] == .string("RuntimeError"))
    #expect(failing.status == .fails)
  }

  @Test("the text report names the verdict and the fix")
  func textReport() throws {
    let (outcome, _) = try Self.run("embeddings--lora-v140-embeddings--llama-v128", profile: .recommended)
    let text = outcome.text()
    #expect(text.hasPrefix("the load fails [recommended profile, load_adapter as 'other']"))
    #expect(text.contains("error [embedding-size-mismatch] adapter saved embeddings for 140 tokens, base has 128"))
    #expect(text.contains("fix: resize the base's token embeddings to 140 before loading"))
  }
}

/// Error categories of the recorded real-PEFT failures (the loader-independent vocabulary).
@Suite("Error categories")
struct ErrorCategoryTests {
  static let expected: [(String, String)] = [
    ("mutated--lora-r4--wrong-rank", "size-mismatch"),
    ("embeddings--lora-v140-embeddings--llama-v128", "size-mismatch"),
    ("mutated--lora-mts-lmhead--no-lmhead", "missing-auxiliary-key"),
    ("mutated--lora-trainable-tokens--no-delta", "missing-auxiliary-key"),
    ("cross-arch--lora-r4--gpt2-v128", "target-not-found"),
    ("mutated--vera-proj--no-vera-a", "missing-shared-weights"),
    ("names--mixed-tuner-types", "incompatible-adapters"),
    ("names--prompt-after-lora", "incompatible-adapters"),
    ("mutated--mpt--tasks-3", "size-mismatch"),
    ("mutated--mpt--no-embeddings", "missing-auxiliary-key"),
    ("mutated--cartridge--virtual-5", "size-mismatch"),
    ("mutated--cartridge--frozen-9", "invalid-adapter-config"),
  ]

  @Test(arguments: expected.map(\.0))
  func category(_ id: String) throws {
    let (outcome, recorded) = try ProfileTests.run(id, profile: .peft)
    let want = try #require(Self.expected.first { $0.0 == id }?.1)
    #expect(recorded["error"]?.objectValue != nil)
    #expect(outcome.error?.category.rawValue == want)
    #expect(outcome.json["error"]?["kind"] == .string(want))
  }
}
