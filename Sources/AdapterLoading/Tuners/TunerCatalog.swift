import TensorIO

/// The tuners Adaptest models, by `peft_type`. Adding a method is one file in `Tuners/` plus one line here.
public struct TunerCatalog: Sendable {
  public let tuners: [any Tuner]
  private let byType: [PeftType: Int]
  /// The models injected with these tuners, for simulations that repeat one.
  let injectedModels = InjectedModels()

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
    PeftType("ADAMSS"): "AdaMSS clusters an SVD of each targeted weight of the loading base (scikit-learn's KMeans) "
      + "to decide how many subspaces the layer gets, one `adamss_A`/`adamss_B` list entry each (`adamss_A.<name>.<i>`); "
      + "on load its `_load_from_state_dict` takes the checkpoint's shape for every entry that exists, but which "
      + "entries exist depends on the base weights' values, not on names and shapes",
    PeftType("XLORA"): "X-LoRA cannot be loaded from its own files in PEFT either: PEFT 0.21.2 saves the LoRA adapters it "
      + "mixes in subfolders (`0`, `1`, …) and an `adapter_model.safetensors` without tensors, but loading reads each LoRA "
      + "adapter from the path or Hub id the config's `adapters` lists, not from those subfolders (one that is gone is "
      + "PEFT's `ValueError` \"Can't find 'adapter_config.json' at '<path>'\"), and refuses a base whose config has "
      + "`use_cache` set (`ValueError`: \"`use_cache` must be False\"), which Adaptest answers as that failure when the base's "
      + "config.json sets it (without the field, its config class's default decides). What those paths hold where the load "
      + "runs is outside the adapter",
  ]

  /// The built-in catalog.
  public static let standard = TunerCatalog([
    LoRATuner(), AdaLoRATuner(), LoHaTuner(), LoKrTuner(), IA3Tuner(), VeRATuner(), VBLoRATuner(), OFTTuner(),
    BOFTTuner(), FourierFTTuner(), HRATuner(), MiSSTuner(), LNTuningTuner(), TrainableTokensTuner(),
    PromptLearningTuner.promptTuning, PromptLearningTuner.prefixTuning, PromptLearningTuner.pTuning,
    HiRATuner(), C3ATuner(), DeLoRATuner(), GraLoRATuner(), RoAdTuner(), WaveFTTuner(), DEFTTuner(), BEFTTuner(),
    PEANuTTuner(), VeRATuner.pvera, GLoRATuner(), SHiRATuner(), LilyTuner(),
    RandLoRATuner(), UniLoRATuner(), PolyTuner(), SuperTuningTuner(), MultitaskPromptTuningTuner(), CPTTuner(),
    CartridgeTuner(), OSFTuner(), PSOFTTuner(), TinyLoRATuner(), FRoDTuner(), AdaptionPromptTuner(), ShadowTuner(),
  ])
}
