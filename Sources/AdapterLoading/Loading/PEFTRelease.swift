import TensorIO

/// A PEFT release line whose loading behaviour a profile reproduces (`peft@0.13`, …, `peft@0.21`).
///
/// One engine serves every line; a release only switches behaviours on and off. Each switch is named
/// after the PEFT change that introduced it and was found by reading the releases' own sources
/// (`set_peft_model_state_dict`, `PeftModel.from_pretrained` / `load_adapter`, `PeftConfig`) and confirmed
/// against their recorded ground truth. The releases' config classes, fields and parameter prefixes are
/// recorded from the releases themselves (`PEFTReleaseData.swift`, `scripts/recorders/update_peft_releases.sh`);
/// the newest line uses the tuner catalog's own (PEFT 0.21.2).
public struct PEFTRelease: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// The release line's minor version (PEFT is still 0.x).
  public let minor: Int
  /// The exact release the line's facts were recorded from.
  public let recordedVersion: String
  /// The transformers release this PEFT line runs with (`Drivers/peft/setup-venv.sh` pins the same).
  public let transformersVersion: String

  public static let v0_13 = PEFTRelease(minor: 13, recordedVersion: "0.13.2", transformersVersion: "4.46.3")
  public static let v0_14 = PEFTRelease(minor: 14, recordedVersion: "0.14.0", transformersVersion: "4.46.3")
  public static let v0_18 = PEFTRelease(minor: 18, recordedVersion: "0.18.1", transformersVersion: "4.57.6")
  public static let v0_21 = PEFTRelease(minor: 21, recordedVersion: "0.21.2", transformersVersion: "5.24.0")

  /// Every modelled line, oldest first.
  public static let lines: [PEFTRelease] = [v0_13, v0_14, v0_18, v0_21]
  /// The newest line: the default `peft` profile.
  public static let latest = v0_21

  /// The line of a version such as `0.13` or `0.13.2`; `nil` for a line Adaptest does not model.
  public init?(version: String) {
    let parts = version.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2 || parts.count == 3, parts[0] == "0", parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 >= "0" && $0 <= "9" } }),
      let minor = Int(parts[1]), let line = Self.lines.first(where: { $0.minor == minor })
    else { return nil }
    self = line
  }

  private init(minor: Int, recordedVersion: String, transformersVersion: String) {
    self.minor = minor
    self.recordedVersion = recordedVersion
    self.transformersVersion = transformersVersion
  }

  /// `0.13`.
  public var description: String { "0.\(minor)" }

  /// The transformers release line this PEFT line runs with: `5.24` for 5.24.0.
  public var transformersLine: String {
    // Joined by hand: the generic `joined(separator:)` on a prefix of substrings was instantiated at run time,
    // a protocol-conformance scan on every start (ArgumentParser lists the profiles).
    let parts = transformersVersion.split(separator: ".")
    return parts.count < 2 ? parts.first.map(String.init) ?? "" : String(parts[0]) + "." + String(parts[1])
  }

  public static func < (lhs: PEFTRelease, rhs: PEFTRelease) -> Bool { lhs.minor < rhs.minor }

  // MARK: Behaviour switches

  /// PR #2084 (0.14): `load_adapter` keeps only missing keys that contain the tuner prefix and the
  /// adapter name, and `from_pretrained` warns "Found missing adapter keys"; before, torch's raw list
  /// (every base weight) is returned and nothing is warned.
  var filtersMissingKeys: Bool { minor >= 14 }

  /// 0.14: a config field the release does not know is dropped with an "Unexpected keyword arguments"
  /// warning; before, `ConfigClass(**json)` raises `TypeError` on the first one.
  var toleratesUnknownConfigFields: Bool { minor >= 14 }

  /// 0.18: the missing-key warning ends with a period and, when the adapter name occurs in the tuner
  /// prefix, says so ("Adapter name '…' should not be contained in the prefix"), also when an adapter is
  /// injected.
  var namesAdapterNameInPrefix: Bool { minor >= 18 }

  /// 0.18 (the `AuxiliaryTrainingWrapper` refactor): each `ModulesToSaveWrapper`/`TrainableTokensWrapper`
  /// maps its own checkpoint keys and a missing one is a `KeyError`; before, every key containing a
  /// `modules_to_save` name has `<name>.modules_to_save.<adapter>` substituted for the name, and nothing
  /// raises.
  var mapsAuxiliaryWrapperKeys: Bool { minor >= 18 }

  /// 0.18: the adapter name is inserted only at the end of the key (`rpartition` on the prefix, an
  /// anchored substitution); before, after the first occurrence of the prefix, replacing every
  /// occurrence of the suffix.
  var anchorsAdapterNameInsertion: Bool { minor >= 18 }

  /// PR #3490 (0.21): checkpoint keys are mapped to model keys structurally
  /// (`_remap_adapter_state_dict_for_load`); before, the adapter name is inserted into every key that
  /// contains the method's parameter prefix (`_insert_adapter_name_into_state_dict`).
  var mapsKeysStructurally: Bool { minor >= 21 }

  /// Whether each injection checks that *this* adapter targets something. 0.13 checks a per-call flag;
  /// 0.14 to 0.20 read `self.targeted_module_names`, which every earlier adapter added to, so
  /// `load_adapter` of a second adapter that matches nothing loads (its keys come back unexpected);
  /// 0.21 checks per call again.
  var checksEachAdapterTargetsSomething: Bool { minor < 14 || minor >= 21 }

  /// PR #2883 (0.18): `_prepare_prompt_learning_config` sizes a prefix for grouped-query attention with the
  /// model config's `head_dim` when it has one; before, with `token_dim // num_attention_heads`, which a
  /// saved config already holds, so a saved prefix keeps its width (and loads) on a base with another
  /// `head_dim`.
  var sizesPrefixWithHeadDim: Bool { minor >= 18 }

  /// 0.21: LoRA checkpoints pass through transformers 5's weight conversion before loading.
  var convertsTransformersCheckpoints: Bool { minor >= 21 }

  /// transformers 5 (the line's pinned release): creating the model warns that `is_gradient_checkpointing`
  /// is deprecated.
  var runsOnTransformers5: Bool { transformersVersion.hasPrefix("5.") }

  /// 0.21: `inject_adapter_in_model` (transformers' way in) refuses SHADOW and every method whose tuner keeps
  /// shared state (`uses_shared_state`: VeRA, PVeRA, VB-LoRA, Uni-LoRA, TinyLoRA, FroD), and names SHADOW in its
  /// prompt-learning refusal.
  var injectionRefusesSharedState: Bool { minor >= 21 }

  /// 0.18: `set_peft_model_state_dict` refuses an OFT checkpoint in the layout before 0.16 (`.oft_r.`).
  var rejectsOldOFTCheckpoints: Bool { minor >= 18 }

  /// Adaption prompt as 0.18 and later have it: GPT-2 in its model table, the unsupported-type message formatted,
  /// attention modules matched as `.<target_modules>` (recorded from 0.14.0 and 0.18.1; see
  /// ``InjectionOptions/legacyAdaptionPrompt``).
  var matchesAdaptionPromptModulesByDottedName: Bool { minor >= 18 }

  // MARK: Recorded facts

  /// A PEFT method as an older release registers it.
  struct RecordedMethod: Sendable {
    var configClass: String
    /// `PEFT_TYPE_TO_PREFIX_MAPPING[peft_type]` (the table inside `set_peft_model_state_dict` in 0.13).
    var prefix: String?
    /// The fields the config class's constructor accepts.
    var fields: Set<String>
  }

  /// The methods this release registers, or `nil` for the newest line (the tuner catalog's own).
  var methods: [String: RecordedMethod]? {
    self == Self.latest ? nil : Self.recorded[recordedVersion]?.methods
  }

  /// What the release raises on reading `adapter_config.json`, before any weight is read: a method it
  /// does not register (`KeyError`) or, before 0.14, the first field its config class does not accept
  /// (`TypeError`). `nil` when it reads the config (`strippingUnknownFields`: as the driver's stripped
  /// copies, which drop those fields first).
  public func refusal(of config: AdapterConfig, strippingUnknownFields: Bool = false) -> PythonError? {
    guard registers(config.peftType) else { return .keyError(config.peftType.rawValue) }
    guard !toleratesUnknownConfigFields, !strippingUnknownFields, let method = methods?[config.peftType.rawValue],
      let first = config.json.keys.first(where: { $0 != "runtime_config" && !method.fields.contains($0) })
    else { return nil }
    return .typeError("\(method.configClass).__init__() got an unexpected keyword argument '\(first)'")
  }

  /// Whether the release registers a method (every method the catalog knows, for the newest line).
  func registers(_ type: PeftType) -> Bool {
    methods.map { $0[type.rawValue] != nil } ?? true
  }

  /// The parameter prefix the release uses for a method (`nil` for prompt learning and for methods
  /// without one).
  func parameterPrefix(_ type: PeftType) -> String? {
    guard let methods else { return type.prefix }
    return methods[type.rawValue]?.prefix
  }
}
