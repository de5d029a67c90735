import TensorIO

/// Reads and lints an expectation file.
public enum LoaderExpectationsDecoder {
  /// Decodes `Corpus/expectations/<loader>.yaml`.
  /// - Parameters:
  ///   - text: the YAML text.
  ///   - file: path relative to the corpus root.
  ///   - loader: the loader the file name says the file is for.
  ///   - caseIDs: every known case id; an entry matching none is flagged as stale. `nil` skips that check.
  public static func decode(
    _ text: String, file: String, loader: String, caseIDs: [String]? = nil
  ) -> (LoaderExpectations?, [LintDiagnostic]) {
    decode(text, file: file, loader: loader, index: caseIDs.map(CaseIDIndex.init))
  }

  /// ``decode(_:file:loader:caseIDs:)`` with the known ids already indexed (one index for every file
  /// of a corpus).
  public static func decode(
    _ text: String, file: String, loader: String, index: CaseIDIndex?
  ) -> (LoaderExpectations?, [LintDiagnostic]) {
    var sink = LintSink(file: file)
    let root: YAMLNode?
    do {
      root = try YAMLDocument.parse(text)
    } catch {
      sink.append(LintDiagnostic(.error, at: SourceLocation(file: file, line: error.line, column: error.column), error.message))
      return (nil, sink.diagnostics)
    }
    guard let root else {
      sink.error(nil, "the file is empty", expected: "loader: \(loader) and an entries list")
      return (nil, sink.diagnostics)
    }
    guard var fields = FieldReader(root, section: "the expectation file", sink: &sink) else {
      return (nil, sink.diagnostics)
    }
    if let name = fields.requiredString("loader", &sink), name != loader, let at = fields.value("loader") {
      sink.error(at, "loader '\(name)' does not match the file name", expected: "'\(loader)'")
    }
    var entries: [LoaderExpectations.Entry] = []
    if let list = fields.value("entries") {
      if let items = list.sequence {
        var patterns: Set<String> = []
        for (i, item) in items.enumerated() {
          guard let entry = decodeEntry(item, "entries[\(i)]", &sink) else { continue }
          let key = "\(entry.pattern.source)\u{0}\(entry.formats?.map(\.rawValue) ?? [])\u{0}\(entry.expectedLoad?.rawValue ?? "")"
          if !patterns.insert(key).inserted {
            sink.error(item, "pattern '\(entry.pattern.source)' is listed twice with the same conditions")
          }
          if let index {
            do throws(PatternError) {
              // Every id it can match once, under the budget: a pattern that backtracks exponentially
              // is an error here, before a run matches it.
              if try !entry.pattern.check(index) {
                sink.warning(item, "pattern '\(entry.pattern.source)' matches no case (stale entry?)")
              }
            } catch {
              sink.error(item, "match \(error.description)", expected: "a regular expression over case ids")
            }
          }
          entries.append(entry)
        }
      } else {
        sink.error(list, "entries must be a list, found \(list.typeName)")
      }
    }
    fields.finish(&sink)
    let result = LoaderExpectations(loader: loader, entries: entries, source: file)
    return (sink.hasErrors ? nil : result, sink.diagnostics.sorted())
  }

  private static func decodeEntry(_ node: YAMLNode, _ path: String, _ sink: inout LintSink) -> LoaderExpectations.Entry? {
    guard var fields = FieldReader(node, section: path, sink: &sink) else { return nil }
    let source = fields.requiredString("match", &sink)
    var pattern: Pattern?
    if let source, let at = fields.value("match") {
      do throws(PatternError) {
        pattern = try Pattern(source)
      } catch {
        sink.error(at, error.description, expected: "a regular expression over case ids")
      }
    }
    var status: LoaderExpectations.Entry.Status?
    if let text = fields.requiredString("status", &sink), let at = fields.value("status") {
      status = .init(rawValue: text)
      if status == nil {
        sink.error(
          at, "unknown status '\(text)'",
          expected: Suggestions.expected(text, among: LoaderExpectations.Entry.Status.allCases.map(\.rawValue)))
      }
    }
    let reason = fields.requiredText("reason", &sink)
    let ref = fields.requiredText("ref", &sink)
    for (name, value) in [("reason", reason), ("ref", ref)] {
      if let value, value.allSatisfy(\.isWhitespace), let at = fields.value(name) {
        sink.error(at, "\(path).\(name) is empty")
      }
    }
    var formats: [CheckpointFormat]?
    if let names = fields.stringList("formats", &sink) {
      formats = []
      for (name, item) in zip(names, fields.value("formats")?.sequence ?? []) {
        if let format = CheckpointFormat(rawValue: name) {
          formats?.append(format)
        } else {
          sink.error(
            item, "unknown format '\(name)'",
            expected: Suggestions.expected(name, among: CheckpointFormat.allCases.map(\.rawValue)))
        }
      }
    }
    var expectedLoad: LoaderExpectations.Entry.ExpectedLoad?
    if let at = fields.value("expected_load"), let text = FieldReader.string(at, "\(path).expected_load", &sink) {
      expectedLoad = .init(rawValue: text)
      if expectedLoad == nil {
        sink.error(
          at, "unknown value '\(text)' for expected_load",
          expected: Suggestions.expected(text, among: LoaderExpectations.Entry.ExpectedLoad.allCases.map(\.rawValue)))
      }
    }
    fields.finish(&sink)
    guard let pattern, let status, let reason, let ref else { return nil }
    return .init(
      pattern: pattern, status: status, reason: reason, ref: ref, formats: formats, expectedLoad: expectedLoad,
      location: sink.location(node))
  }
}
