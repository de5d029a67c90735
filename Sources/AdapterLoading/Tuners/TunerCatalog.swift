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

  /// The built-in catalog.
  public static let standard = TunerCatalog([
    LoRATuner(), AdaLoRATuner(), LoHaTuner(), LoKrTuner(), IA3Tuner(), VeRATuner(), VBLoRATuner(), OFTTuner(),
    BOFTTuner(), FourierFTTuner(), HRATuner(), MiSSTuner(), LNTuningTuner(), TrainableTokensTuner(),
    PromptLearningTuner.promptTuning, PromptLearningTuner.prefixTuning, PromptLearningTuner.pTuning,
    HiRATuner(), C3ATuner(), DeLoRATuner(), GraLoRATuner(), RoAdTuner(), WaveFTTuner(), DEFTTuner(), BEFTTuner(),
    PEANuTTuner(), VeRATuner.pvera, GLoRATuner(), SHiRATuner(), LilyTuner(),
    RandLoRATuner(),
  ])
}
