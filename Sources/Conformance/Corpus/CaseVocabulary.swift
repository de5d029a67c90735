import AdapterLoading
import Synthesis

/// The names a case may use — architectures, tuners, mutations with their parameters, error kinds,
/// diagnostic codes, warning categories — so that the linter can reject typos with a suggestion.
///
/// ``standard`` is read from the catalogs that own each name — Synthesis' model families,
/// AdapterLoading's tuner catalog and diagnostic codes — so adding a tuner or an architecture there
/// is all the linter needs; a different vocabulary can be passed to the decoder in tests.
public struct CaseVocabulary: Sendable {
  public var architectures: [String]
  public var tuners: [String]
  public var baseMutations: [MutationSchema]
  public var adapterMutations: [MutationSchema]
  public var errorKinds: [ErrorKind]
  public var formatErrors: [String]
  public var diagnosticCodes: [String]
  public var warningCategories: [String]

  public init(
    architectures: [String], tuners: [String], baseMutations: [MutationSchema], adapterMutations: [MutationSchema],
    errorKinds: [ErrorKind] = ErrorKind.known, formatErrors: [String], diagnosticCodes: [String],
    warningCategories: [String]
  ) {
    self.architectures = architectures
    self.tuners = tuners
    self.baseMutations = baseMutations
    self.adapterMutations = adapterMutations
    self.errorKinds = errorKinds
    self.formatErrors = formatErrors
    self.diagnosticCodes = diagnosticCodes
    self.warningCategories = warningCategories
  }
}

extension CaseVocabulary {
  /// The vocabulary of the current catalogs.
  public static let standard = CaseVocabulary(
    architectures: ModelFamily.allCases.map(\.rawValue).sorted(),
    tuners: TunerCatalog.standard.types.map(\.rawValue),
    baseMutations: BaseMutation.schemas,
    adapterMutations: AdapterMutationRequest.schemas,
    formatErrors: [
      // safetensors: the Rust reference's `SafeTensorError` variants in lower camel case, as the
      // SafeTensors module's `kind` names them, plus the strict reader's duplicate checks.
      "headerTooSmall", "headerTooLarge", "invalidHeaderLength", "invalidHeader", "invalidHeaderDeserialization",
      "invalidOffset", "validationOverflow", "misalignedSlice", "tensorInvalidInfo", "metadataIncompleteBuffer",
      "invalidTensorView", "duplicateKey", "duplicateMetadataKey",
      // HDF5: the HDF5Checkpoint module's error kinds.
      "not-hdf5", "corrupt-file", "not-adaptest-layout", "unsupported-version", "invalid-layout", "unknown-dtype",
      "dtype-mismatch", "shape-mismatch", "unreadable-dataset", "tensor-not-found", "name-collision", "invalid-tensor",
      "payload-size-mismatch", "allocation-failed", "library",
    ],
    diagnosticCodes: DiagnosticCode.known.map(\.rawValue),
    warningCategories: ["UserWarning", "PeftWarning", "FutureWarning", "DeprecationWarning", "RuntimeWarning"]
  )

  func baseMutation(_ name: String) -> MutationSchema? { baseMutations.first { $0.name == name } }
  func adapterMutation(_ name: String) -> MutationSchema? { adapterMutations.first { $0.name == name } }
}
