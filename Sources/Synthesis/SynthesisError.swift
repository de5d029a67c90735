import TensorIO

/// A synthesis request that cannot be carried out, with the field of the request that asked for it.
///
/// `field` is a dotted path into the case or mutation (`base.mutations[2].num_heads`), so an error
/// points at the line of the case file to fix.
public struct SynthesisError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The field that asked for it, outermost first (`base.mutations[1].vocab_size`).
  public var field: String
  /// What is wrong.
  public var problem: Problem

  public init(field: String, _ problem: Problem) {
    self.field = field
    self.problem = problem
  }

  /// The same error seen from an enclosing object: `prefix` is put in front of the field path.
  public func within(_ prefix: String) -> SynthesisError {
    var copy = self
    copy.field = field.isEmpty ? prefix : (field.hasPrefix("[") ? prefix + field : prefix + "." + field)
    return copy
  }

  /// The kinds of impossible request.
  public enum Problem: Hashable, Sendable, CustomStringConvertible {
    /// An architecture name the catalog does not know.
    case unknownArchitecture(String, known: [String])
    /// A mutation kind the synthesizer does not know.
    case unknownMutation(String)
    /// A required field is absent.
    case missing
    /// A field has the wrong JSON type or an unusable value.
    case invalidValue(String)
    /// A size that must be at least `minimum`.
    case tooSmall(Int, minimum: Int)
    /// `valueField = value` must be a multiple of `divisorField = divisor`.
    case notDivisible(valueField: String, value: Int, divisorField: String, divisor: Int)
    /// The architecture has no such dimension (`gpt2` has no `num_kv_heads`).
    case dimensionNotSupported(architecture: String, dimension: String)
    /// The architecture needs this dimension (a MoE family needs `num_experts`).
    case dimensionRequired(architecture: String, dimension: String)
    /// Base weights in a dtype transformers does not build models in.
    case unsupportedDType(String)
    /// transformers ties this architecture's embeddings unconditionally.
    case tyingFixed(architecture: String)
    /// A rename whose source module path matches no parameter.
    case moduleNotFound(String)
    /// A rename that would give two parameters the same name.
    case duplicateName(String)
    /// An element or byte count overflows.
    case sizeOverflow(tensor: String)

    public var description: String {
      switch self {
      case .unknownArchitecture(let name, let known):
        "unknown architecture '\(name)' (known: \(known.joined(separator: ", ")))"
      case .unknownMutation(let name): "unknown mutation '\(name)'"
      case .missing: "required field is missing"
      case .invalidValue(let detail): detail
      case .tooSmall(let value, let minimum): "\(value) is too small (minimum \(minimum))"
      case .notDivisible(let valueField, let value, let divisorField, let divisor):
        "\(valueField) = \(value) is not a multiple of \(divisorField) = \(divisor)"
      case .dimensionNotSupported(let architecture, let dimension):
        "\(architecture) has no '\(dimension)'"
      case .dimensionRequired(let architecture, let dimension):
        "\(architecture) needs '\(dimension)'"
      case .unsupportedDType(let name): "dtype \(name) is not a model dtype (use F32, F16 or BF16)"
      case .tyingFixed(let architecture):
        "transformers always ties \(architecture)'s output embeddings to its input embeddings"
      case .moduleNotFound(let path): "no module '\(path)' in the model"
      case .duplicateName(let name): "two parameters would be named '\(name)'"
      case .sizeOverflow(let tensor): "the size of '\(tensor)' overflows"
      }
    }
  }

  public var description: String { field.isEmpty ? problem.description : "\(field): \(problem)" }
}
