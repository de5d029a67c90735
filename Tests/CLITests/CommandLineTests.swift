import TensorIO
import TestSupport
import Testing

/// The built `adaptest` executable, run as users run it: every command's exit status against the
/// one table in the README ("Exit status"), the `--json` shapes, and the error text.
@Suite("Command line") struct CommandLineTests {
  /// The README's exit-status table.
  enum Exit {
    static let success: Int32 = 0, findings: Int32 = 1, loadFails: Int32 = 2, invalidInput: Int32 = 3
    static let broken: Int32 = 5, usage: Int32 = 64
  }

  static let commands = [
    ["inspect"], ["convert"], ["check"], ["generate"], ["corpus", "lint"], ["corpus", "new"], ["run"],
    ["report", "merge"], ["report", "agreement"], ["report", "architectures"], ["diff"], ["driver", "setup"],
  ]

  static func adaptest(_ arguments: [String]) throws -> ExternalCommand.Result {
    let executable = try #require(ExternalCommand.adaptest, "adaptest is built next to the tests")
    return try ExternalCommand.run([executable] + arguments, environment: ["NO_COLOR": "1", "HF_HUB_OFFLINE": "1"])
  }

  /// A llama case with a LoRA on q/v; `base` and `adapter` are extra YAML lines of those sections.
  static func caseText(id: String, base: String = "", adapter: String = "") -> String {
    """
    id: \(id)
    description: A case for the command-line tests.
    base:
      architecture: llama
      config: {vocab_size: 128, hidden_size: 16, num_hidden_layers: 2}
    \(base)
    adapter:
      tuner: LORA
      config: {r: 4, target_modules: [q_proj, v_proj]}
    \(adapter)
    expect: {error: null}
    """
  }

  /// Generates a pair from a case text; returns its folder.
  static func pair(_ folder: TemporaryDirectory, id: String, base: String = "", adapter: String = "") throws -> String {
    let file = try folder.write("\(id).yaml", caseText(id: id, base: base, adapter: adapter))
    let result = try adaptest(["generate", "--case", file, "--out", folder.file("pairs")])
    try #require(result.status == Exit.success, "\(result.errors)")
    return folder.file("pairs", id)
  }

  @Test("every command answers --help with status 0", arguments: commands)
  func help(_ command: [String]) throws {
    let result = try Self.adaptest(command + ["--help"])
    #expect(result.status == Exit.success, "\(result.errors)")
    #expect(result.output.contains("USAGE: adaptest \(command.joined(separator: " "))"))
  }

  @Test("a usage error is status 64, whatever the command", arguments: commands)
  func usageError(_ command: [String]) throws {
    let result = try Self.adaptest(command + ["--no-such-option"])
    #expect(result.status == Exit.usage, "\(result.output)\(result.errors)")
  }

  @Test("check: a clean pair is 0, and --json says so in results.json's words")
  func checkClean() throws {
    let folder = TemporaryDirectory("cli")
    let pair = try Self.pair(folder, id: "clean")
    for profile in ["peft", "recommended"] {
      let result = try Self.adaptest(["check", pair + "/base", pair + "/adapter", "--profile", profile, "--json"])
      #expect(result.status == Exit.success, "\(profile): \(result.output)\(result.errors)")
      let json = try JSONValue.parse(Array(result.output.utf8))
      #expect(json["status"]?.stringValue == "clean")
      #expect(json["missing_keys"]?.arrayValue?.isEmpty == true)
      #expect(json["error"]?.isNull == true)
    }
    // PEFT 0.13 builds the config class from every field of the file: a config PEFT 0.21 saved has
    // fields 0.13's LoraConfig does not take, and 0.13.2 raises TypeError on the first (recorded from
    // the real release, Fixtures/peft-releases/0.13.2).
    let old = try Self.adaptest(["check", pair + "/base", pair + "/adapter", "--profile", "peft-0.13", "--json"])
    #expect(old.status == Exit.loadFails, "\(old.output)\(old.errors)")
    let error = try JSONValue.parse(Array(old.output.utf8))["error"]
    #expect(error?["kind"]?.stringValue == "invalid-adapter-config")
    #expect(error?["type"]?.stringValue == "TypeError")
    #expect(error?["message"]?.stringValue?.contains("unexpected keyword argument") == true)
  }

  /// PEFT ≥ 0.14 filters base keys out of the missing keys: a resized vocabulary does not touch a
  /// LoRA on q/v (PEFT issue #1932).
  @Test("check: a resized vocabulary under a q/v LoRA is clean with the peft profile")
  func checkResizedVocabulary() throws {
    let folder = TemporaryDirectory("cli")
    let pair = try Self.pair(folder, id: "vocab", base: "  mutations: [resize_vocab: {to: 160}]")
    let result = try Self.adaptest(["check", pair + "/base", pair + "/adapter", "--profile", "peft"])
    #expect(result.status == Exit.success, "\(result.output)\(result.errors)")
  }

  /// PEFT warns about adapter keys missing from the checkpoint and loads; the adapter's `lora_B`
  /// stays at zero, which only `recommended` calls broken.
  @Test("check: a dropped lora_B is 1 (warnings) with peft and 5 (broken) with recommended")
  func checkDroppedFactor() throws {
    let folder = TemporaryDirectory("cli")
    let pair = try Self.pair(folder, id: "drop", adapter: "  mutations: [drop_keys: {match: lora_B}]")
    let peft = try Self.adaptest(["check", pair + "/base", pair + "/adapter", "--profile", "peft"])
    #expect(peft.status == Exit.findings, "\(peft.output)\(peft.errors)")
    let recommended = try Self.adaptest(["check", pair + "/base", pair + "/adapter", "--json"])
    #expect(recommended.status == Exit.broken, "\(recommended.output)\(recommended.errors)")
    #expect(try JSONValue.parse(Array(recommended.output.utf8))["status"]?.stringValue == "broken")
  }

  /// A LoRA saved at another rank: `load_state_dict` raises torch's size-mismatch RuntimeError.
  @Test("check: a rank mismatch is 2, the error's kind and type named as in results.json")
  func checkFails() throws {
    let folder = TemporaryDirectory("cli")
    let pair = try Self.pair(folder, id: "rank", adapter: "  mutations: [wrong_rank: {r: 8}]")
    let result = try Self.adaptest(["check", pair + "/base", pair + "/adapter", "--profile", "peft", "--json"])
    #expect(result.status == Exit.loadFails, "\(result.output)\(result.errors)")
    let error = try JSONValue.parse(Array(result.output.utf8))["error"]
    #expect(error?["kind"]?.stringValue == "size-mismatch")
    #expect(error?["type"]?.stringValue == "RuntimeError")
  }

  @Test("check and inspect: a folder that is not there is 3, named in one error line")
  func unreadable() throws {
    let folder = TemporaryDirectory("cli")
    for command in [["check", folder.file("nope"), folder.file("nope2")], ["inspect", folder.file("nope")]] {
      let result = try Self.adaptest(command)
      #expect(result.status == Exit.invalidInput, "\(command): \(result.output)\(result.errors)")
      #expect(result.errors.hasPrefix("error: "), "\(result.errors)")
      #expect(result.errors.contains("nope"))
    }
  }

  @Test("generate: a bad case is 3, one line per problem, each with its line number")
  func generateBadCase() throws {
    let folder = TemporaryDirectory("cli")
    let text = Self.caseText(id: "bad").replacingFirst("tuner: LORA", with: "tuner: LORAX")
      .replacingFirst("architecture: llama", with: "architecture: lama")
    let file = try folder.write("bad.yaml", text)
    let result = try Self.adaptest(["generate", "--case", file, "--out", folder.file("out")])
    #expect(result.status == Exit.invalidInput)
    let lines = result.errors.split(separator: "\n")
    #expect(lines.count >= 2, "\(result.errors)")
    #expect(lines.contains { $0.contains("bad.yaml:4:") && $0.contains("lama") }, "\(result.errors)")
    #expect(lines.contains { $0.contains("bad.yaml:") && $0.contains("LORAX") }, "\(result.errors)")
    #expect(!result.errors.contains("\\u{"), "no escaped newlines: \(result.errors)")
    #expect(FileSystem.kind(of: folder.file("out")) == .missing, "nothing written")
  }

  @Test("generate: a YAML matrix, as Corpus/matrix.yaml is written, expands and writes every pair")
  func generateYAMLMatrix() throws {
    let folder = TemporaryDirectory("cli")
    let matrix = try folder.write(
      "matrix.yaml",
      """
      architectures: [llama, gpt2]
      base_config: {vocab_size: 128}
      base_mutations:
        none: []
        vocab-up: [{resize_vocab: {to: 160}}]
      tuners:
        lora: {tuner: LORA, config: {r: 2}}
      """)
    let result = try Self.adaptest(["generate", "--matrix", matrix, "--out", folder.file("out")])
    #expect(result.status == Exit.success, "\(result.errors)")
    let index = try JSONValue.parse(try FileSystem.read(folder.file("out", "matrix.json")))
    let generated = index["generated"]?.arrayValue?.compactMap(\.stringValue) ?? []
    #expect(
      Set(generated) == [
        "llama/none/lora/none", "llama/vocab-up/lora/none", "gpt2/none/lora/none", "gpt2/vocab-up/lora/none",
      ])
    for id in generated { #expect(FileSystem.kind(of: folder.file("out", id, "adapter", "adapter_config.json")) == .file) }
  }

  @Test("generate: the corpus's own matrix file is read (YAML), a typo in it located")
  func generateCorpusMatrixTypo() throws {
    let folder = TemporaryDirectory("cli")
    let original = String(decoding: try FileSystem.read(Repository.corpus + "/matrix.yaml"), as: UTF8.self)
    let broken = try folder.write("matrix.yaml", original.replacingFirst("architectures:", with: "architecturez:"))
    let result = try Self.adaptest(["generate", "--matrix", broken, "--out", folder.file("out")])
    #expect(result.status == Exit.invalidInput)
    #expect(result.errors.contains("architecturez") || result.errors.contains("architectures"), "\(result.errors)")
    #expect(!result.errors.contains("unexpected character '#'"), "the YAML matrix is read as YAML: \(result.errors)")
  }

  @Test("corpus lint: the committed corpus is clean (0); corpus new on an existing case is 3")
  func corpus() throws {
    let lint = try Self.adaptest(["corpus", "lint", "--corpus", Repository.corpus])
    #expect(lint.status == Exit.success, "\(lint.output)\(lint.errors)")
    let folder = TemporaryDirectory("cli")
    let first = try Self.adaptest(["corpus", "new", "a/b", "--corpus", folder.path])
    #expect(first.status == Exit.success, "\(first.errors)")
    let again = try Self.adaptest(["corpus", "new", "a/b", "--corpus", folder.path])
    #expect(again.status == Exit.invalidInput)
    #expect(again.errors.hasPrefix("error: "), "\(again.errors)")
  }
}

extension String {
  /// The text with the first occurrence of `target` replaced (no Foundation).
  func replacingFirst(_ target: String, with replacement: String) -> String {
    guard let range = firstRange(of: target) else { return self }
    var copy = self
    copy.replaceSubrange(range, with: replacement)
    return copy
  }
}
