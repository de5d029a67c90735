/// Reads one YAML mapping field by field and, at the end, reports every field nobody asked for,
/// so a misspelt or unsupported field is an error and never silently ignored.
struct FieldReader {
  /// The mapping node itself (for "missing field" locations).
  let node: YAMLNode
  /// Where this mapping sits, for messages: `expect`, `base.mutations[1]`.
  let section: String
  private var fields: [(name: String, key: YAMLNode, value: YAMLNode)] = []
  private var read: Set<String> = []
  private var allowed: [String] = []

  /// Starts reading `node`, which must be a mapping with string keys and no duplicates.
  init?(_ node: YAMLNode, section: String, sink: inout LintSink) {
    self.node = node
    self.section = section
    guard let pairs = node.mapping else {
      sink.error(node, "\(section) must be a mapping, found \(node.typeName)")
      return nil
    }
    var seen: Set<String> = []
    for pair in pairs {
      guard let name = pair.key.scalarText, !pair.key.isNull else {
        sink.error(pair.key, "\(section): field names must be strings, found \(pair.key.typeName)")
        continue
      }
      if !seen.insert(name).inserted {
        sink.error(pair.key, "\(section): field '\(name)' is given twice")
        continue
      }
      fields.append((name, pair.key, pair.value))
    }
  }

  /// Declares a field as known and returns its value node, if present.
  mutating func value(_ name: String) -> YAMLNode? {
    if read.insert(name).inserted { allowed.append(name) }
    return fields.first { $0.name == name }?.value
  }

  /// Whether the field is written at all (including as `null`). Declares it as known.
  mutating func contains(_ name: String) -> Bool { value(name) != nil }

  /// Reports every field that was not read.
  func finish(_ sink: inout LintSink) {
    for field in fields where !read.contains(field.name) {
      var expected = Suggestions.expected(field.name, among: allowed, noun: "one of the fields")
      if Suggestions.closest(to: field.name, in: allowed) == nil, let home = Self.homes[section]?[field.name] {
        // A known field one level off (a dedented `mutations:`): say where it belongs.
        expected = "\(home) (it belongs there, not in \(section)); " + expected
      }
      sink.error(field.key, "unknown field '\(field.name)' in \(section)", expected: expected)
    }
  }

  /// Where a field written in the wrong section of a case belongs, by section and field name.
  static let homes: [String: [String: String]] = [
    "the case": [
      "mutations": "base.mutations or adapter.mutations", "architecture": "base.architecture", "tuner": "adapter.tuner",
      "config": "base.config or adapter.config", "adapter_name": "load.adapter_name", "loaded": "load.loaded",
      "ignore_mismatched_sizes": "load.ignore_mismatched_sizes", "method": "load.method",
      "missing_keys": "expect.missing_keys", "unexpected_keys": "expect.unexpected_keys", "error": "expect.error",
    ],
    "base": [
      "tuner": "adapter.tuner", "expect": "the case's top level (expect:)", "formats": "the case's top level (formats:)",
    ],
    "adapter": [
      "architecture": "base.architecture", "expect": "the case's top level (expect:)",
      "formats": "the case's top level (formats:)", "adapter_name": "load.adapter_name", "loaded": "load.loaded",
    ],
  ]

  // MARK: Typed access

  /// A required string field.
  mutating func requiredString(_ name: String, _ sink: inout LintSink) -> String? {
    guard let value = value(name) else {
      sink.error(node, "\(section) is missing the required field '\(name)'")
      return nil
    }
    return Self.string(value, "\(section).\(name)", &sink)
  }

  /// A required prose field (description, reason): a folded block's final line break dropped.
  mutating func requiredText(_ name: String, _ sink: inout LintSink) -> String? {
    guard var text = requiredString(name, &sink) else { return nil }
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return text
  }

  /// An optional string field.
  mutating func string(_ name: String, _ sink: inout LintSink) -> String? {
    guard let value = value(name) else { return nil }
    return Self.string(value, "\(section).\(name)", &sink)
  }

  /// An optional boolean field.
  mutating func bool(_ name: String, _ sink: inout LintSink) -> Bool? {
    guard let value = value(name) else { return nil }
    guard let result = value.bool else {
      sink.error(value, "\(section).\(name) must be true or false, found \(value.typeName)")
      return nil
    }
    return result
  }

  /// An optional list of strings; a single string is not accepted in place of a list.
  mutating func stringList(_ name: String, _ sink: inout LintSink) -> [String]? {
    guard let value = value(name) else { return nil }
    return Self.stringList(value, "\(section).\(name)", &sink)
  }

  static func string(_ node: YAMLNode, _ path: String, _ sink: inout LintSink) -> String? {
    switch node.kind {
    case .scalar(let text, let type) where type != .null:
      // Numbers and booleans read as their text only where a string is wanted and the author
      // clearly wrote one (`r: 4` in a name field is a mistake, `id: 2024-case` is not).
      if type == .string { return text }
      sink.error(node, "\(path) must be a string, found \(node.typeName) '\(text)'", expected: "quotes around it")
      return nil
    default:
      sink.error(node, "\(path) must be a string, found \(node.typeName)")
      return nil
    }
  }

  static func stringList(_ node: YAMLNode, _ path: String, _ sink: inout LintSink) -> [String]? {
    guard let items = node.sequence else {
      sink.error(node, "\(path) must be a list of strings, found \(node.typeName)", expected: "[a, b] or a '- item' list")
      return nil
    }
    var strings: [String] = []
    var ok = true
    for (i, item) in items.enumerated() {
      if let s = string(item, "\(path)[\(i)]", &sink) { strings.append(s) } else { ok = false }
    }
    return ok ? strings : nil
  }
}
