/// How strictly a safetensors header is read.
///
/// The default is strict: everything the Rust reference rejects, plus repeated keys (which the
/// format forbids but serde silently resolves) and the alternative encodings serde happens to
/// accept. ``rustCompatible`` reproduces the reference exactly, to predict what PyTorch and PEFT
/// actually load.
public struct SafeTensorsReadOptions: Sendable, Hashable {
  /// What to do when the header names a tensor (or a `__metadata__` key) twice.
  public enum DuplicateKeys: Sendable, Hashable {
    /// Fail with ``SafeTensorsError/Kind/duplicateKey(tensor:)`` (or `duplicateMetadataKey`).
    case reject
    /// The last occurrence replaces the earlier ones, as serde does in the reference: an earlier
    /// entry's offsets are then ignored, so its bytes count as a hole.
    case lastWins
  }

  /// Repeated keys.
  public var duplicateKeys: DuplicateKeys
  /// Accept serde's alternative encodings of a tensor entry, which the reference reads but no
  /// writer produces: an entry as a 3-element array `["F32", [2], [0, 8]]`, and a dtype as a
  /// one-member object `{"F32": null}`.
  public var acceptsSerdeAlternateForms: Bool

  public init(duplicateKeys: DuplicateKeys = .reject, acceptsSerdeAlternateForms: Bool = false) {
    self.duplicateKeys = duplicateKeys
    self.acceptsSerdeAlternateForms = acceptsSerdeAlternateForms
  }

  /// The default: reject repeated keys and serde's alternative encodings.
  public static let strict = SafeTensorsReadOptions()

  /// Accept exactly what the Rust reference (safetensors 0.8) accepts.
  public static let rustCompatible = SafeTensorsReadOptions(duplicateKeys: .lastWins, acceptsSerdeAlternateForms: true)

  /// Strict, except for the given duplicate-key policy: `.duplicateKeys(.lastWins)`.
  public static func duplicateKeys(_ policy: DuplicateKeys) -> SafeTensorsReadOptions {
    SafeTensorsReadOptions(duplicateKeys: policy)
  }
}
