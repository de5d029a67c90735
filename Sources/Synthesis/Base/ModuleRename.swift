/// Renames a module path in the saved weights, the way a fork or a conversion script renames
/// modules (`model.layers.*.self_attn.q_proj` → `model.layers.*.self_attn.query`).
///
/// Paths match whole dotted components from the start of a parameter name; a `*` component matches
/// any one component and is carried over to the `*` at the same rank in ``to``.
public struct ModuleRename: Sendable, Hashable, CustomStringConvertible {
  public var from: String
  public var to: String

  public init(from: String, to: String) {
    self.from = from
    self.to = to
  }

  /// Checks the pattern pair.
  /// - Throws: ``SynthesisError`` at `from`/`to` for empty components or unequal wildcard counts.
  public func validate() throws(SynthesisError) {
    let source = from.split(separator: ".", omittingEmptySubsequences: false)
    let target = to.split(separator: ".", omittingEmptySubsequences: false)
    guard !from.isEmpty, !source.contains(where: \.isEmpty) else {
      throw SynthesisError(field: "from", .invalidValue("'\(from)' is not a dotted module path"))
    }
    guard !to.isEmpty, !target.contains(where: \.isEmpty) else {
      throw SynthesisError(field: "to", .invalidValue("'\(to)' is not a dotted module path"))
    }
    guard source.filter({ $0 == "*" }).count == target.filter({ $0 == "*" }).count else {
      throw SynthesisError(field: "to", .invalidValue("'\(to)' must have as many '*' components as '\(from)'"))
    }
  }

  /// The renamed parameter name, or `nil` if `name` is not under ``from``.
  public func apply(to name: String) -> String? {
    let components = name.split(separator: ".", omittingEmptySubsequences: false)
    let pattern = from.split(separator: ".", omittingEmptySubsequences: false)
    guard components.count > pattern.count else { return nil }
    var captured: [Substring] = []
    for (component, expected) in zip(components, pattern) {
      if expected == "*" {
        captured.append(component)
      } else if component != expected {
        return nil
      }
    }
    var next = captured.makeIterator()
    let replaced = to.split(separator: ".", omittingEmptySubsequences: false).map { $0 == "*" ? (next.next() ?? $0) : $0 }
    return (replaced + components[pattern.count...]).joined(separator: ".")
  }

  public var description: String { "\(from) → \(to)" }
}
