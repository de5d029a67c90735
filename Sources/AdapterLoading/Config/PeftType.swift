import TensorIO

/// A PEFT method name as written in `adapter_config.json` (`"peft_type": "LORA"`).
///
/// An open set: a config may name a method this catalog does not model, and it must still be
/// decodable (so the CLI can say which method it is and why it cannot be simulated).
public struct PeftType: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public init(_ rawValue: String) { self.rawValue = rawValue }

  public static let lora = PeftType("LORA")
  public static let adalora = PeftType("ADALORA")
  public static let loha = PeftType("LOHA")
  public static let lokr = PeftType("LOKR")
  public static let ia3 = PeftType("IA3")
  public static let vera = PeftType("VERA")
  public static let vblora = PeftType("VBLORA")
  public static let oft = PeftType("OFT")
  public static let boft = PeftType("BOFT")
  public static let fourierft = PeftType("FOURIERFT")
  public static let hra = PeftType("HRA")
  public static let miss = PeftType("MISS")
  public static let lnTuning = PeftType("LN_TUNING")
  public static let trainableTokens = PeftType("TRAINABLE_TOKENS")
  public static let promptTuning = PeftType("PROMPT_TUNING")
  public static let prefixTuning = PeftType("PREFIX_TUNING")
  public static let pTuning = PeftType("P_TUNING")
  public static let multitaskPromptTuning = PeftType("MULTITASK_PROMPT_TUNING")
  public static let adaptionPrompt = PeftType("ADAPTION_PROMPT")
  public static let unilora = PeftType("UNILORA")
  public static let hira = PeftType("HIRA")
  public static let c3a = PeftType("C3A")
  public static let delora = PeftType("DELORA")
  public static let gralora = PeftType("GRALORA")
  public static let road = PeftType("ROAD")
  public static let waveft = PeftType("WAVEFT")
  public static let deft = PeftType("DEFT")
  public static let beft = PeftType("BEFT")
  public static let peanut = PeftType("PEANUT")
  public static let pvera = PeftType("PVERA")
  public static let glora = PeftType("GLORA")
  public static let shira = PeftType("SHIRA")
  public static let lily = PeftType("LILY")
  public static let randlora = PeftType("RANDLORA")
  public static let poly = PeftType("POLY")
  public static let supertuning = PeftType("SUPERTUNING")
  public static let cpt = PeftType("CPT")
  public static let cartridge = PeftType("CARTRIDGE")
  public static let osf = PeftType("OSF")
  public static let psoft = PeftType("PSOFT")
  public static let tinylora = PeftType("TINYLORA")
  public static let frod = PeftType("FROD")

  /// The key prefix PEFT registers for the method (`PEFT_TYPE_TO_PREFIX_MAPPING`, PEFT 0.21.2), used
  /// by its missing-key filter. `nil` for names PEFT does not know.
  public var prefix: String? { Self.prefixes[rawValue] }

  /// Whether PEFT treats the method as prompt learning (no injected layers; a prompt encoder loaded from
  /// `prompt_embeddings`).
  public var isPromptLearning: Bool {
    [Self.promptTuning, .prefixTuning, .pTuning, .multitaskPromptTuning, .cpt, .cartridge].contains(self)
  }

  /// `PeftType.LORA`: how Python 3.11 formats the enum member in f-strings and `str()`.
  public var pythonDescription: String { "PeftType.\(rawValue)" }

  public var description: String { rawValue }

  public static func < (lhs: PeftType, rhs: PeftType) -> Bool { lhs.rawValue < rhs.rawValue }

  /// `PEFT_TYPE_TO_PREFIX_MAPPING` as PEFT 0.21.2 fills it at import time. Note that LoRA and AdaLoRA
  /// share `lora_`, and VeRA/PVeRA use `vera_lambda_`/`pvera_lambda_` so that the shared projections
  /// stay out of the missing-key filter.
  static let prefixes: [String: String] = [
    "LORA": "lora_", "ADALORA": "lora_", "ADAMSS": "adamss_", "ADAPTION_PROMPT": "adaption_prompt_",
    "BEFT": "beft_", "BOFT": "boft_", "C3A": "c3a_", "CARTRIDGE": "cartridge_", "CPT": "cpt_",
    "DEFT": "deft_", "DELORA": "delora_", "FOURIERFT": "fourierft_", "FROD": "frod_", "GLORA": "glora_",
    "GRALORA": "gralora_", "HIRA": "hira_", "HRA": "hra_", "IA3": "ia3_", "LILY": "lily_",
    "LN_TUNING": "ln_tuning_", "LOHA": "hada_", "LOKR": "lokr_", "MISS": "miss_", "OFT": "oft_",
    "SHIRA": "shira_", "PROMPT_TUNING": "prompt_tuning_",
    "MULTITASK_PROMPT_TUNING": "multitask_prompt_tuning_", "OSF": "osf_", "P_TUNING": "p_tuning_",
    "PEANUT": "peanut_", "POLY": "poly_", "PREFIX_TUNING": "prefix_tuning_", "PSOFT": "psoft_",
    "PVERA": "pvera_lambda_", "RANDLORA": "randlora_", "ROAD": "road_", "SHADOW": "shadow_",
    "SUPERTUNING": "supertuning_", "TINYLORA": "tinylora_", "TRAINABLE_TOKENS": "trainable_tokens_",
    "UNILORA": "unilora_", "VBLORA": "vblora_", "VERA": "vera_lambda_", "WAVEFT": "waveft_",
    "XLORA": "xlora_",
  ]

  /// Every method name PEFT 0.21.2 registers.
  public static var knownToPEFT: [PeftType] { prefixes.keys.sorted().map { PeftType($0) } }
}
