import Checkpoints
import TensorIO
import TestSupport
import Testing

@testable import Synthesis

/// Adapter names come from case files: whatever they hold, a pair's files stay inside its folder.
@Suite("Hostile adapter names")
struct HostileNameTests {
  static let names = [
    "../../escaped", "..", ".", "", "a/b", "/absolute", "x\u{0}y", "\u{1B}[31mred", "_default", "a\\b",
    "<script>alert(1)</script>", String(repeating: "n", count: 129),
  ]

  /// Every path under `folder`, relative to it.
  static func tree(_ folder: String, _ prefix: String = "") throws -> [String] {
    var paths: [String] = []
    for name in try FileSystem.contents(ofDirectory: folder).sorted() {
      let relative = prefix.isEmpty ? name : prefix + "/" + name
      paths.append(relative)
      if FileSystem.kind(of: FileSystem.join(folder, name), followLinks: false) == .directory {
        paths += try tree(FileSystem.join(folder, name), relative)
      }
    }
    return paths
  }

  @Test("folder names are plain, one per adapter, and never . or ..", arguments: names)
  func folderName(_ name: String) {
    let folder = LoadedAdapterFolder.name(for: name)
    #expect(!folder.isEmpty && folder != "." && folder != "..")
    #expect(!folder.contains("/") && !folder.contains("\u{0}") && !folder.contains("\\"))
    #expect(folder.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F })
  }

  @Test("distinct adapter names get distinct folders")
  func oneToOne() {
    let all = Self.names + ["default", "second", "_2e2e", "2e2e"]
    #expect(Set(all.map(LoadedAdapterFolder.name(for:))).count == Set(all).count)
    #expect(LoadedAdapterFolder.name(for: "default") == "default")
    #expect(LoadedAdapterFolder.name(for: "..") == "_2e2e")
  }

  @Test("a pair whose loaded adapters have hostile names is written entirely inside its folder", arguments: names)
  func pairStaysInside(_ name: String) throws {
    let root = TemporaryDirectory("hostile")
    let text = """
      {"id": "hostile/name", "base": {"architecture": "llama", "config": {"vocab_size": 32, "hidden_size": 8, "num_hidden_layers": 1}},
       "adapter": {"tuner": "LORA", "config": {"r": 2, "target_modules": ["q_proj"]}},
       "load": {"adapter_name": "second", "loaded": [\(JSONWriter.compact.string(.string(name)))]}}
      """
    let plan: PairPlan
    do {
      plan = try PairPlan(try PairSpec.decode(try JSONValue.parse(text)))
    } catch {
      // The generator may refuse the name outright: a typed error, nothing written.
      #expect(error is SynthesisError, "\(error)")
      return
    }
    let cases = FileSystem.join(root.path, "cases")
    let pair = FileSystem.join(cases, "pair")
    try FileSystem.createDirectory(cases)
    do {
      try PairWriter(formats: TestFormats.all).write(plan, to: pair, format: .safetensors, seed: 1)
    } catch {
      // Refusing a name is fine (a name too long for the file system); writing outside is not.
    }
    #expect(try FileSystem.contents(ofDirectory: root.path) == ["cases"])
    #expect(try FileSystem.contents(ofDirectory: cases).allSatisfy { $0 == "pair" })
    if FileSystem.kind(of: pair) == .directory {
      let loaded = try FileSystem.contents(ofDirectory: FileSystem.join(pair, "loaded"))
      #expect(loaded == [LoadedAdapterFolder.name(for: name)])
      #expect(try Self.tree(pair).allSatisfy { !$0.split(separator: "/").contains("..") })
    }
  }
}
