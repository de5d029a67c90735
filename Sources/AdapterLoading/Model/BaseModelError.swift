import TensorIO

/// A base model (config + weights) that cannot be turned into a module tree.
public struct BaseModelError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The model folder or file, for messages.
  public var source: String
  /// The tensor or config field at fault, if any.
  public var subject: String?
  public var detail: String

  public init(source: String, subject: String? = nil, detail: String) {
    self.source = source
    self.subject = subject
    self.detail = detail
  }

  public var description: String {
    if let subject { return "\(source): \(subject): \(detail)" }
    return "\(source): \(detail)"
  }
}
