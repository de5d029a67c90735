/// A mutation's name in case files and the arguments it takes: the linter's view of a decoder,
/// declared next to the decoder it describes (`BaseMutation.schemas`, `AdapterMutationRequest.schemas`).
public struct MutationSchema: Sendable, Hashable {
  public var name: String
  public var parameters: [Parameter]
  /// Groups of parameters of which exactly one must be given (`drop_keys`: `keys` or `match`).
  public var oneOf: [[String]]

  public init(_ name: String, _ parameters: [Parameter] = [], oneOf: [[String]] = []) {
    self.name = name
    self.parameters = parameters
    self.oneOf = oneOf
  }

  public struct Parameter: Sendable, Hashable {
    public var name: String
    public var type: ParameterType
    public var required: Bool

    public init(_ name: String, _ type: ParameterType, required: Bool = false) {
      self.name = name
      self.type = type
      self.required = required
    }
  }

  public enum ParameterType: String, Sendable, Hashable {
    case int = "an integer"
    case positiveInt = "a positive integer"
    case string = "a string"
    case bool = "true or false"
    case stringList = "a list of strings"
    case intList = "a list of integers"
    case dtype = "a dtype name (F32, F16, BF16, …)"
    case architecture = "an architecture name"
  }
}

