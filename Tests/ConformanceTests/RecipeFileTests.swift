import Synthesis
import TensorIO
import TestSupport
import Testing

@testable import Conformance

/// One recipe from YAML or JSON: `generate` and `run` read the same case and matrix files.
@Suite("Recipe files")
struct RecipeFileTests {
  static let presetCase = """
    id: presets/moe
    description: A LoRA on the real-size Qwen3-30B-A3B shape.
    base: {preset: qwen3-30b-a3b}
    adapter:
      tuner: LORA
      config: {r: 4, target_modules: [q_proj, v_proj]}
    expect: {error: null}

    """

  @Test("a YAML case may name a preset, as a JSON case may: the same recipe either way")
  func presetInYAML() throws {
    let (spec, diagnostics) = CaseDecoder().decode(Self.presetCase, file: "cases/presets/moe.yaml")
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    let recipe = try #require(spec?.recipe)
    #expect(recipe.base == BasePreset.qwen3_30B_A3B.model)
    #expect(spec?.architecture == BasePreset.qwen3_30B_A3B.model.family.rawValue)

    let folder = TemporaryDirectory("recipes")
    let yaml = try RecipeFiles.recipe(at: try folder.write("moe.yaml", Self.presetCase))
    let json = try RecipeFiles.recipe(
      at: try folder.write(
        "moe.json",
        #"{"id": "presets/moe", "base": {"preset": "qwen3-30b-a3b"}, "adapter": {"tuner": "LORA", "config": {"r": 4, "target_modules": ["q_proj", "v_proj"]}}}"#
      ))
    #expect(yaml.base == BasePreset.qwen3_30B_A3B.model)
    #expect(yaml.base == json.base && yaml.adapter == json.adapter)
  }

  @Test("an unknown preset, or a preset with a config, is a lint error at its line")
  func presetErrors() throws {
    let unknown = Self.presetCase.replacingOccurrences("qwen3-30b-a3b", "qwen3-30b")
    let (spec, diagnostics) = CaseDecoder().decode(unknown, file: "cases/presets/moe.yaml")
    #expect(spec == nil)
    #expect(diagnostics.contains { $0.location.line == 3 && $0.description.contains("qwen3-30b-a3b") }, "\(diagnostics)")

    let overridden = Self.presetCase.replacingOccurrences(
      "base: {preset: qwen3-30b-a3b}", "base: {preset: qwen3-30b-a3b, config: {vocab_size: 4}}")
    let (_, more) = CaseDecoder().decode(overridden, file: "cases/presets/moe.yaml")
    #expect(more.contains { $0.description.contains("cannot be overridden") }, "\(more)")
  }

  @Test("the corpus matrix (YAML) expands as run expands it: ids are the matrix's, every one distinct")
  func corpusMatrix() throws {
    let matrix = try RecipeFiles.matrix(at: Repository.corpus + "/matrix.yaml")
    let ids = matrix.cases.map(\.id)
    #expect(ids.count > 1000)
    #expect(Set(ids).count == ids.count)
    #expect(ids.allSatisfy { $0.split(separator: "/").count == 4 })
  }

  @Test("a bad axis value of a YAML matrix is an error at its line, not a skipped combination")
  func badMatrixValueIsLocated() throws {
    let folder = TemporaryDirectory("matrix")
    try folder.write(
      "matrix.yaml",
      """
      architectures: [llama]
      tuners:
        lora: {tuner: LORA}
      base_mutations:
        up:
          - resize_vocab: {too: 3}

      """)
    let (cases, _, diagnostics, _) = MatrixCases.load(root: folder.path)
    #expect(cases.isEmpty)
    #expect(diagnostics.count == 1, "\(diagnostics)")
    let found = try #require(diagnostics.first)
    #expect(found.severity == .error && found.location.line == 6, "\(found)")
    #expect(found.message.contains("base_mutations.up[0].resize_vocab"), "\(found)")
  }
}
