/// The category of a failed load, shared by every loader so that results compare across them
/// (never the message text): what `PythonError.category` derives from an exception, what the
/// generator's rule table predicts and what corpus cases expect. An open set: a loader may report a kind the corpus does not know yet,
/// which then simply fails to match.
public struct ErrorKind: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
  public var rawValue: String

  public init(rawValue: String) { self.rawValue = rawValue }
  public init(_ rawValue: String) { self.rawValue = rawValue }

  public var description: String { rawValue }

  public static func < (lhs: ErrorKind, rhs: ErrorKind) -> Bool {
    lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
  }

  /// A checkpoint tensor's shape differs from the model parameter it loads into (torch's
  /// `size mismatch for …` `RuntimeError`).
  public static let sizeMismatch = ErrorKind("size-mismatch")
  /// A `modules_to_save` or trainable-tokens tensor is absent from the checkpoint (PEFT's `KeyError`).
  public static let missingAuxiliaryKey = ErrorKind("missing-auxiliary-key")
  /// No module of the base matches the adapter's targets (`NoMatchingPeftModuleError`).
  public static let targetNotFound = ErrorKind("target-not-found")
  /// Shared weights the config says are saved are absent (VeRA's `vera_A`/`vera_B` `ValueError`).
  public static let missingSharedWeights = ErrorKind("missing-shared-weights")
  /// A checkpoint layout this loader no longer supports (old OFT `oft_r`).
  public static let unsupportedCheckpoint = ErrorKind("unsupported-checkpoint")
  /// Adapters of different tuner types combined in one model.
  public static let incompatibleAdapters = ErrorKind("incompatible-adapters")
  /// An adapter with this name already exists and the loader refuses to overwrite it.
  public static let adapterNameConflict = ErrorKind("adapter-name-conflict")
  /// `adapter_config.json` is unreadable or rejected (unknown fields on old PEFT, unknown type).
  public static let invalidAdapterConfig = ErrorKind("invalid-adapter-config")
  /// The base model's `config.json` is unreadable or names an unsupported architecture.
  public static let invalidBaseConfig = ErrorKind("invalid-base-config")
  /// The base the adapter config names (`base_model_name_or_path`, for transformers' `from_pretrained` on an
  /// adapter folder) is neither a local model folder nor reachable on the Hub.
  public static let baseNotFound = ErrorKind("base-not-found")
  /// The adapter or base folder has no weights file the loader can read.
  public static let weightsNotFound = ErrorKind("weights-not-found")
  /// A weights file is malformed (safetensors or HDF5); `format_error` says how.
  public static let formatError = ErrorKind("format-error")
  /// A failure the loader could not classify.
  public static let other = ErrorKind("other")
  /// Not a loader's failure: Adaptest's simulation stopped at something it does not model ("cannot
  /// tell"); never an expectation.
  public static let notSimulated = ErrorKind("not-simulated")

  /// Every kind the corpus may name, for linting.
  public static let known: [ErrorKind] = [
    .sizeMismatch, .missingAuxiliaryKey, .targetNotFound, .missingSharedWeights, .unsupportedCheckpoint,
    .incompatibleAdapters, .adapterNameConflict, .invalidAdapterConfig, .invalidBaseConfig, .baseNotFound, .weightsNotFound,
    .formatError, .other,
  ]
}
