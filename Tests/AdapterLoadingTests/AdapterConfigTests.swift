import Foundation
import Testing
import TensorIO

@testable import AdapterLoading

/// `adapter_config.json` decoding against configs real PEFT 0.21.2 wrote
/// (`scripts/recorders/record_config_fixtures.py`).
@Suite("Adapter config")
struct AdapterConfigTests {
  static let configs = Fixtures.names(in: "configs")

  @Test("every config PEFT writes decodes, with no unknown fields", arguments: configs)
  func decodesRealConfigs(_ name: String) throws {
    let json = try Fixtures.object("configs/\(name).json")
    let config = try AdapterConfig(json: json, source: name)
    #expect(config.unknownFields == [])
    #expect(config.peftType.rawValue == json["peft_type"]?.stringValue)
    #expect(TunerCatalog.standard.tuner(for: config.peftType) != nil)
  }

  @Test("a config decoded again from the same object is the one decoded first, with the asking file", arguments: configs)
  func decodingAgainAnswersAsDecoding(_ name: String) throws {
    let json = try Fixtures.object("configs/\(name).json")
    for source in ["one/adapter_config.json", "two/adapter_config.json", "one/adapter_config.json"] {
      #expect(try AdapterConfig.decoding(json, source: source) == AdapterConfig(json: json, source: source))
    }
    // An object with a field removed is another config.
    var fewer = json
    fewer["peft_type"] = nil
    for source in ["one/adapter_config.json", "two/adapter_config.json"] {
      do {
        _ = try AdapterConfig.decoding(fewer, source: source)
        Issue.record("a config without peft_type decoded")
      } catch {
        #expect(error == Self.error(fewer, source))
        #expect(error.description.contains(source), "the error names the asking file: \(error)")
      }
    }
  }

  static func error(_ json: JSONObject, _ source: String) -> AdapterConfigError? {
    do { _ = try AdapterConfig(json: json, source: source) } catch { return error }
    return nil
  }

  @Test("each tuner declares exactly the fields of PEFT's config class")
  func knownFieldsMatchPEFT() throws {
    let fields = try Fixtures.object("config-fields.json")
    for (type, list) in fields {
      let tuner = try #require(TunerCatalog.standard.tuner(for: PeftType(type)), "\(type)")
      let expected = Set(list.arrayValue?.compactMap(\.stringValue) ?? [])
      #expect(tuner.configFields == expected, "\(type)")
    }
  }

  @Test("typed fields")
  func typedFields() throws {
    let regex = try AdapterConfig(json: Fixtures.object("configs/lora-regex.json"))
    #expect(regex.targetModules == .pattern(#".*\.(q|v)_proj"#))
    #expect(regex.excludeModules == .names(["lm_head"]))
    #expect(regex.rankPattern == [PatternEntry(pattern: "q_proj", value: 2, exactInteger: 2)])
    #expect(regex.alphaPattern == [PatternEntry(pattern: "v_proj", value: 32)])
    #expect(regex.useDora == true)
    #expect(regex.modulesToSave == ["lm_head"])
    let layers = try AdapterConfig(json: Fixtures.object("configs/lora-layers.json"))
    #expect(layers.layersToTransform == .list([0]))
    #expect(layers.layersPattern == ["layers"])
    #expect(layers.loraBias == true)
    let allLinear = try AdapterConfig(json: Fixtures.object("configs/lora-all-linear.json"))
    #expect(allLinear.targetModules?.isAllLinear == true)
    #expect(allLinear.trainableTokenIndices == .inputEmbedding([1, 2, 3]))
    let vblora = try AdapterConfig(json: Fixtures.object("configs/vblora.json"))
    #expect(vblora.numVectors == 16 && vblora.vectorLength == 4 && vblora.topk == 2)
    #expect(vblora.saveOnlyTopkWeights == true)
    let vera = try AdapterConfig(json: Fixtures.object("configs/vera-no-projection.json"))
    #expect(vera.saveProjection == false)
    #expect(vera.projectionPRNGKey == 0)
    let prefix = try AdapterConfig(json: Fixtures.object("configs/prefix-tuning.json"))
    #expect(prefix.isPromptLearning)
    #expect(prefix.numVirtualTokens == 4 && prefix.tokenDim == 16 && prefix.numLayers == 2)
    #expect(prefix.prefixProjection == true)
    let params = try AdapterConfig(json: Fixtures.object("configs/lora-target-parameters.json"))
    #expect(params.targetModules == .names([]))
    #expect(params.targetParameters == ["experts.gate_up_proj"])
  }

  @Test("unknown fields are kept and listed")
  func unknownFieldsKept() throws {
    var json = try Fixtures.object("configs/lora.json")
    json["kasa_future_option"] = .bool(true)
    json["another_new_field"] = .number("3")
    let config = try AdapterConfig(json: json)
    #expect(config.unknownFields == ["kasa_future_option", "another_new_field"])
    #expect(config.json["another_new_field"] == .number("3"))
  }

  struct BadField: Sendable, CustomStringConvertible {
    var field: String
    var value: JSONValue
    var reportedField: String
    var description: String { "\(field)=\(value)" }
  }

  static let badFields: [BadField] = [
    BadField(field: "r", value: .string("8"), reportedField: "r"),
    BadField(field: "r", value: .number("8.5"), reportedField: "r"),
    BadField(field: "target_modules", value: .number("1"), reportedField: "target_modules"),
    BadField(field: "target_modules", value: .array([.string("q"), .number("1")]), reportedField: "target_modules[1]"),
    BadField(field: "rank_pattern", value: .object(JSONObject([("q_proj", .string("x"))])), reportedField: "rank_pattern.q_proj"),
    BadField(field: "layers_to_transform", value: .string("0"), reportedField: "layers_to_transform"),
    BadField(field: "use_dora", value: .number("1"), reportedField: "use_dora"),
    BadField(field: "trainable_token_indices", value: .object(JSONObject([("embed", .array([.string("a")]))])),
             reportedField: "trainable_token_indices.embed[0]"),
    BadField(field: "r", value: .number("-1"), reportedField: "r"),
  ]

  @Test("a bad field is a typed error naming the file and the field", arguments: badFields)
  func badFieldsAreNamed(_ bad: BadField) throws {
    var json = try Fixtures.object("configs/lora.json")
    json[bad.field] = bad.value
    do {
      _ = try AdapterConfig(json: json, source: "adapter/adapter_config.json")
      Issue.record("expected an error")
    } catch {
      #expect(error.file == "adapter/adapter_config.json")
      #expect(error.field == bad.reportedField)
      #expect("\(error)".hasPrefix("adapter/adapter_config.json: \(bad.reportedField): "))
    }
  }

  @Test("a config without peft_type is rejected")
  func missingType() throws {
    var json = try Fixtures.object("configs/lora.json")
    json["peft_type"] = nil
    #expect(throws: AdapterConfigError(file: "adapter_config.json", field: "peft_type", reason: .missing)) {
      try AdapterConfig(json: json)
    }
  }
}

/// Target matching against what PEFT's `check_target_module_exists` / `get_pattern_key` returned.
@Suite("Target matching")
struct TargetMatchingTests {
  static let fixture = try! Fixtures.object("target-matching.json")
  static let configNames: [String] = fixture["configs"]?.objectValue?.keys ?? []

  @Test("check_target_module_exists", arguments: configNames)
  func matchesPEFT(_ name: String) throws {
    let keys = try #require(Self.fixture["keys"]?.arrayValue).compactMap(\.stringValue)
    let entry = try #require(Self.fixture["configs"]?[name]?.objectValue)
    let config = try AdapterConfig(json: try #require(entry["config"]?.objectValue))
    let expected = try #require(entry["results"]?.arrayValue).compactMap(\.stringValue)
    let matcher = try TargetMatcher(config: config, targetModules: config.targetModules)
    for (key, want) in zip(keys, expected) {
      let got: String
      switch try matcher.check(key) {
      case .matched: got = "matched"
      case .excluded: got = "excluded"
      case .unmatched: got = "unmatched"
      }
      #expect(got == want, "\(name): \(key)")
    }
  }

  /// The regex-free path for dotted `rank_pattern` keys answers as the regex `(.*\.)?(key)$` does.
  @Test("dotted pattern keys match as their regex")
  func dottedKeys() throws {
    let patterns = ["q_proj", "self_attn.q_proj", "layers.0.self_attn.q_proj", "l.y", "a.", ".q_proj", "x.y.z", "é.b"]
    let keys = [
      "model.layers.0.self_attn.q_proj", "self_attn.q_proj", "q_proj", "xq_proj", "l.y", "lzy", "model.lay", "a.\n",
      "a.b\n", "m.a.b", "\nm.x.y.z", "m\n.x.y.z", "q.x\ny.z", "é.b", "éxb", "x.é.b", "",
    ]
    for pattern in patterns {
      let regex = try BoundedRegex("(.*\\.)?(\(pattern))$")
      for key in keys {
        #expect(dottedPatternMatches(pattern, key) == (try regex.prefixMatch(key) != nil), "\(pattern) on \(key)")
      }
    }
    #expect(dottedPatternMatches("q_(proj)", "q_proj") == nil)
  }

  @Test("get_pattern_key")
  func rankPatternKeys() throws {
    let keys = try #require(Self.fixture["keys"]?.arrayValue).compactMap(\.stringValue)
    let patterns = try #require(Self.fixture["rank_pattern"]?["patterns"]?.arrayValue).compactMap(\.stringValue)
    let expected = try #require(Self.fixture["rank_pattern"]?["results"]?.arrayValue).compactMap(\.stringValue)
    for (key, want) in zip(keys, expected) {
      #expect((try patternKey(patterns, for: key, field: "rank_pattern") ?? key) == want, "\(key)")
    }
  }
}

/// LoKr's `factorization` against values real PEFT returned.
@Suite("LoKr factorization")
struct LoKrFactorizationTests {
  @Test func matchesPEFT() throws {
    let rows = try #require(try Fixtures.json("lokr-factorization.json").arrayValue)
    #expect(rows.count == 80)
    for row in rows {
      let items = try #require(row.arrayValue)
      let d = try #require(items[0].intValue)
      let f = try #require(items[1].intValue)
      let expected = try #require(items[2].arrayValue).compactMap(\.intValue)
      let (m, n) = try LoKrTuner.factorization(d, f)
      #expect([m, n] == expected, "factorization(\(d), \(f))")
    }
  }

  @Test func hugeDimensionsAreRefusedNotLoopedOver() {
    #expect(throws: PythonError.self) { try LoKrTuner.factorization(Int.max - 24, -1) }
  }
}
