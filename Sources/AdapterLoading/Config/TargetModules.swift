import TensorIO

/// Which modules a config selects (`target_modules`, `exclude_modules`, `feedforward_modules`).
///
/// PEFT gives the two spellings different meanings: a list entry matches a module whose name is the
/// entry or ends with `.` + entry; a string is a regular expression that must match the whole name
/// (`re.fullmatch`), except the shorthand `all-linear` (any case) for `target_modules`.
public enum TargetModules: Hashable, Sendable, CustomStringConvertible {
  /// Names or name suffixes, deduplicated in written order (PEFT keeps them in a set).
  case names([String])
  /// A Python regular expression matched against the whole module name.
  case pattern(String)

  /// PEFT's `INCLUDE_LINEAR_LAYERS_SHORTHAND`.
  public static let allLinearShorthand = "all-linear"

  /// Whether this is the `all-linear` shorthand (compared case-insensitively, as PEFT does).
  public var isAllLinear: Bool {
    if case .pattern(let p) = self { return p.lowercased() == Self.allLinearShorthand }
    return false
  }

  /// Whether nothing is selected (an empty list).
  public var isEmpty: Bool {
    if case .names(let n) = self { return n.isEmpty }
    return false
  }

  init(_ value: StringOrList) {
    switch value {
    case .string(let s): self = .pattern(s)
    case .list(let l):
      var seen = Set<String>()
      self = .names(l.filter { seen.insert($0).inserted })
    }
  }

  public var description: String {
    switch self {
    case .names(let names): "[" + names.map { "'\($0)'" }.joined(separator: ", ") + "]"
    case .pattern(let p): "'\(p)'"
    }
  }
}

/// `layers_to_transform`: one layer index or a list of them.
public enum LayerIndices: Hashable, Sendable {
  case one(Int)
  case list([Int])

  /// Whether PEFT treats the value as "use layer indexes" (an empty list does not).
  public var isActive: Bool {
    if case .list(let l) = self { return !l.isEmpty }
    return true
  }

  public func contains(_ index: Int) -> Bool {
    switch self {
    case .one(let i): i == index
    case .list(let l): l.contains(index)
    }
  }
}

/// `trainable_token_indices`: indices for the input embedding, or per embedding module name.
public enum TrainableTokenIndices: Hashable, Sendable {
  /// Token indices for the model's input embedding (PEFT looks its name up, defaulting to `embed_tokens`).
  case inputEmbedding([Int])
  /// Module name → token indices, in written order.
  case perModule([ModuleTokenIndices])
}

/// One entry of a per-module `trainable_token_indices` object.
public struct ModuleTokenIndices: Hashable, Sendable {
  public var module: String
  public var indices: [Int]
  public init(module: String, indices: [Int]) {
    self.module = module
    self.indices = indices
  }
}

/// One `rank_pattern`/`alpha_pattern` entry: a regular expression over module names and its value.
public struct PatternEntry: Hashable, Sendable {
  public var pattern: String
  public var value: Double
  /// AdaLoRA saves each rank as a boolean mask over `init_r`; `value` is then the number of kept ranks.
  public var mask: [Bool]?
  /// The value exactly as written when it is an integer (`rank_pattern`, `n_frequency_pattern`):
  /// `value` cannot hold integers above 2^53 exactly, and converting it back could trap.
  public var exactInteger: Int?

  public init(pattern: String, value: Double, mask: [Bool]? = nil, exactInteger: Int? = nil) {
    self.pattern = pattern
    self.value = value
    self.mask = mask
    self.exactInteger = exactInteger
  }

  /// The value as an integer (a rank, a frequency count): the exact integer when one was written, else
  /// the number truncated toward zero and clamped to `Int`'s range.
  public var integer: Int {
    if let exactInteger { return exactInteger }
    if value.isNaN { return 0 }
    if value >= 9.223372036854775807e18 { return Int.max }
    if value <= -9.223372036854775808e18 { return Int.min }
    return Int(value)
  }
}
