import TensorIO

/// The tuners Adaptest models, by `peft_type`. Adding a method is one file in `Tuners/` plus one line here.
public struct TunerCatalog: Sendable {
  public let tuners: [any Tuner]
  private let byType: [PeftType: Int]

  public init(_ tuners: [any Tuner]) {
    self.tuners = tuners
    byType = Dictionary(tuners.enumerated().map { ($1.peftType, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// The tuner for a method, if modelled.
  public func tuner(for type: PeftType) -> (any Tuner)? { byType[type].map { tuners[$0] } }

  /// Every method modelled, by type name.
  public var types: [PeftType] { tuners.map(\.peftType).sorted() }

  /// Why each method PEFT 0.21.2 registers but the catalog leaves out is not modelled: what about its
  /// load Adaptest cannot predict. Part of the "cannot tell" answer.
  public static let unmodelled: [PeftType: String] = [
    PeftType("ADAMSS"): "AdaMSS decomposes each weight by SVD and clusters it into trainable subspaces "
      + "(`adamss_A`/`adamss_B`); their shapes depend on the weights' values",
    PeftType("FROD"): "FRoD builds shared bases from an SVD of the stacked target weights and has its own save and "
      + "load remapping (`frod_V`, `frod_s_indices`)",
    PeftType("TINYLORA"): "TinyLoRA projects shared trainable vectors (`tinylora_v`, grouped by `weight_tying`) "
      + "through an SVD of each frozen weight, with its own save and load special cases",
    PeftType("SHADOW"): "Shadow trains a separate shadow backbone beside the model (`shadow_model`: \"mirror\" builds "
      + "one of the base's architecture, any other value is a model id or path PEFT loads from outside the adapter); "
      + "the backbone and its injected layers are not modelled",
    PeftType("XLORA"): "X-LoRA cannot be loaded from its own files in PEFT either: its config lists the LoRA adapters "
      + "it mixes by path or Hub id (`adapters`), and PEFT loads each of them from there whenever it builds the model, "
      + "then the classifier (`internal_xlora_classifier`); PEFT also refuses a base whose config has `use_cache` set "
      + "(\"`use_cache` must be False\"). The composite is not modelled",
    PeftType("ADAPTION_PROMPT"): "adaption prompts replace each targeted attention module by a wrapper "
      + "(`AdaptedAttention`, the original under `.model`) holding `adaption_prompt` and `adaption_gate`, for the model "
      + "types PEFT lists only; this re-rooting of the base's keys is not modelled",
  ]

  /// The built-in catalog.
  public static let standard = TunerCatalog([
    LoRATuner(), AdaLoRATuner(), LoHaTuner(), LoKrTuner(), IA3Tuner(), VeRATuner(), VBLoRATuner(), OFTTuner(),
    BOFTTuner(), FourierFTTuner(), HRATuner(), MiSSTuner(), LNTuningTuner(), TrainableTokensTuner(),
    PromptLearningTuner.promptTuning, PromptLearningTuner.prefixTuning, PromptLearningTuner.pTuning,
    HiRATuner(), C3ATuner(), DeLoRATuner(), GraLoRATuner(), RoAdTuner(), WaveFTTuner(), DEFTTuner(), BEFTTuner(),
    PEANuTTuner(), VeRATuner.pvera, GLoRATuner(), SHiRATuner(), LilyTuner(),
    RandLoRATuner(), UniLoRATuner(), PolyTuner(), SuperTuningTuner(), MultitaskPromptTuningTuner(), CPTTuner(),
    CartridgeTuner(), OSFTuner(), PSOFTTuner(),
  ])
}
