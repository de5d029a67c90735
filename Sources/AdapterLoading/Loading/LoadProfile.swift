/// Which loader's behaviour a simulation reproduces: one PEFT release line exactly (through `PeftModel` or
/// through transformers' own `load_adapter`), or Adaptest's own `recommended` reading of the same load.
///
/// Names: `peft@0.13`, `peft@0.14`, `peft@0.18`, `peft@0.21` (an exact version such as `peft@0.14.0` names its
/// line); `peft` is the newest line, `peft-0.13` the older name of `peft@0.13`; `transformers@4.57`,
/// `transformers@5.24` (transformers' `PeftAdapterMixin.load_adapter` with the PEFT line pinned to that
/// transformers); `recommended`.
public struct LoadProfile: Sendable, Hashable, CustomStringConvertible, RawRepresentable, CaseIterable {
  /// The PEFT release line reproduced word for word; `nil` for ``recommended``, which reads the load
  /// with the newest line's semantics.
  public let release: PEFTRelease?
  /// The API the adapter goes through: `PeftModel`, or transformers' own `load_adapter`.
  public let api: LoadAPI

  /// The newest PEFT line (0.21.2): structural key mapping, then torch's `strict=False` result filtered
  /// by the substring test `tuner_prefix in key and adapter_name in key` (false positives included),
  /// `from_pretrained`'s "Found missing adapter keys" warning, PEFT's exact errors and warnings.
  public static let peft = LoadProfile(release: .latest)
  /// PEFT 0.13 (`peft@0.13`): torch's raw result (every base weight and every other adapter's weights
  /// missing), the adapter name inserted after the parameter prefix, `TypeError` on config fields it does
  /// not know.
  public static let peft013 = LoadProfile(release: .v0_13)
  /// Adaptest's own reading of the same load: a structural filter (only this adapter's own tensors can
  /// be missing), unexpected keys surfaced, missing auxiliary tensors reported as missing instead of a
  /// `KeyError`, and diagnostics with stable codes and fixes.
  public static let recommended = LoadProfile(release: nil)

  /// The profile of one PEFT release line.
  public static func peft(at release: PEFTRelease) -> LoadProfile { LoadProfile(release: release) }

  /// transformers' `PeftAdapterMixin.load_adapter` with the PEFT line pinned to that transformers release.
  public static func transformers(at release: PEFTRelease) -> LoadProfile { LoadProfile(release: release, api: .transformers) }

  /// The PEFT lines whose transformers release has a `transformers@X.Y` profile (one line per transformers
  /// release, the newest; transformers 4.46 is not modelled).
  public static let transformersLines: [PEFTRelease] = [.v0_18, .v0_21]

  /// `recommended`, then every PEFT line oldest first, then every transformers profile oldest first.
  public static let allCases: [LoadProfile] =
    [.recommended] + PEFTRelease.lines.map(LoadProfile.peft(at:)) + transformersLines.map(LoadProfile.transformers(at:))

  private init(release: PEFTRelease?, api: LoadAPI = .peftModel) {
    self.release = release
    self.api = api
  }

  /// A profile name (see the type's documentation); `nil` for an unknown one.
  public init?(rawValue: String) {
    switch rawValue {
    case "recommended": self = .recommended
    case "peft": self = .peft
    case "peft-0.13": self = .peft013
    default:
      if rawValue.hasPrefix("transformers@") {
        let version = rawValue.dropFirst("transformers@".count)
        guard let line = Self.transformersLines.first(where: { $0.transformersLine == version || $0.transformersVersion == version })
        else { return nil }
        self = .transformers(at: line)
        return
      }
      guard rawValue.hasPrefix("peft@"), let release = PEFTRelease(version: String(rawValue.dropFirst(5))) else { return nil }
      self = .peft(at: release)
    }
  }

  /// The canonical name: `recommended`, `peft` for the newest line, `peft@0.X` for the others,
  /// `transformers@X.Y` for transformers' own loading.
  public var rawValue: String {
    guard let release else { return "recommended" }
    if api == .transformers { return "transformers@\(release.transformersLine)" }
    return release == .latest ? "peft" : "peft@\(release)"
  }

  /// The name with the release line spelled out: `peft@0.21` for `peft`, else ``rawValue``.
  public var versionedName: String {
    guard let release, api == .peftModel else { return rawValue }
    return "peft@\(release)"
  }

  public var description: String { rawValue }

  /// Whether this profile reproduces a real release (a PEFT line, through either API) rather than `recommended`.
  public var isPEFT: Bool { release != nil }

  /// Whether this profile reproduces transformers' own `load_adapter`.
  public var isTransformers: Bool { api == .transformers }

  /// The line whose semantics the engine follows.
  var semantics: PEFTRelease { release ?? .latest }
}

/// How the adapter is loaded.
public enum LoadCall: String, Sendable, Hashable, CaseIterable {
  /// `PeftModel.from_pretrained(base, adapter, adapter_name=…)`: a fresh model whose first adapter this is;
  /// missing keys are only reported through a warning.
  case fromPretrained = "from_pretrained"
  /// `model.load_adapter(adapter, adapter_name=…)` on a model that already holds other adapters; the
  /// missing and unexpected keys are returned.
  case loadAdapter = "load_adapter"
  /// transformers' `AutoModelFor….from_pretrained(adapter_folder, adapter_name=…)`: builds the base the adapter
  /// config's `base_model_name_or_path` names (``LoadContext/baseReference``), then `load_adapter` into it.
  /// Only transformers' own loading offers it (`transformers@X.Y` profiles).
  case autoFromPretrained = "auto_from_pretrained"

  /// The calls of protocol 1 (every PEFT loader): `from_pretrained` and `load_adapter`.
  public static let peftCalls: Set<LoadCall> = [.fromPretrained, .loadAdapter]
}

/// What the adapter folder's `base_model_name_or_path` holds when transformers' `from_pretrained(adapter_folder)`
/// resolves the base to build (``LoadCall/autoFromPretrained``). Written in case files and load requests as
/// `base` (the default), `absent`, `null` or any other text, taken verbatim.
public enum BaseReference: Sendable, Hashable, CustomStringConvertible {
  /// The base folder of the load: the base resolves.
  case base
  /// `adapter_config.json` has no such field (transformers raises `KeyError`).
  case absent
  /// The field is JSON `null`.
  case null
  /// A name that is not a local model folder: a Hub id, a path that does not exist.
  case named(String)

  /// The written form: `base`, `absent`, `null` or the name.
  public init(_ text: String) {
    switch text {
    case "base": self = .base
    case "absent": self = .absent
    case "null": self = .null
    default: self = .named(text)
    }
  }

  public var description: String {
    switch self {
    case .base: "base"
    case .absent: "absent"
    case .null: "null"
    case .named(let name): name
    }
  }
}

/// The API through which an adapter is loaded.
public enum LoadAPI: String, Sendable, Hashable, CaseIterable {
  /// `PeftModel.from_pretrained` / `PeftModel.load_adapter` (PEFT's wrapper).
  case peftModel = "PeftModel"
  /// transformers' `PeftAdapterMixin.load_adapter` on the bare model: keys without `base_model.model.`, the
  /// adapter injected with `inject_adapter_in_model`, transformers' own result and report.
  case transformers
}
