import TensorIO

/// Renders a ``LoadOutcome`` for people (`adaptest check`) and for programs (`--json`).
extension LoadOutcome {
  /// The JSON report: `profile`, `call`, `adapter_name`, `status`, `missing_keys`, `unexpected_keys`,
  /// `mismatched [{key, checkpoint_shape, model_shape}]`, `error {kind, type, message}` (or `null`),
  /// `unknown` (what Adaptest cannot tell, with `status` `cannot-tell`; else `null`),
  /// `warnings [{category, message}]`, `diagnostics [{code, severity, keys, message, fix}]`, `meta_keys`, and for
  /// transformers 5's own loading `load_report` (its LOAD REPORT, or `null`).
  public var json: JSONValue {
    func strings(_ items: [String]) -> JSONValue { .array(items.map { .string($0) }) }
    func shape(_ s: [Int]) -> JSONValue { .array(s.map { .number(String($0)) }) }
    var object = JSONObject()
    object["profile"] = .string(profile.rawValue)
    object["call"] = .string(call.rawValue)
    object["adapter_name"] = .string(adapterName)
    object["status"] = .string(statusName)
    object["missing_keys"] = strings(missingKeys)
    object["unexpected_keys"] = strings(unexpectedKeys)
    object["mismatched"] = .array(mismatched.map { m in
      .object(JSONObject([("key", .string(m.key)), ("checkpoint_shape", shape(m.checkpointShape)), ("model_shape", shape(m.modelShape))]))
    })
    object["error"] = error.map {
      // Named as results.json names them: `kind` the stable category, `type` Python's exception class.
      .object(JSONObject([("kind", .string($0.category.rawValue)), ("type", .string($0.kind)), ("message", .string($0.message))]))
    } ?? .null
    object["unknown"] = unknown.map { .string($0) } ?? .null
    object["warnings"] = .array(warnings.map { w in
      .object(JSONObject([("category", .string(w.category)), ("message", .string(w.message))]))
    })
    object["diagnostics"] = .array(diagnostics.map { d in
      .object(
        JSONObject([
          ("code", .string(d.code.rawValue)), ("severity", .string(d.severity.rawValue)), ("keys", strings(d.keys)),
          ("message", .string(d.message)), ("fix", d.fix.map { .string($0) } ?? .null),
        ]))
    })
    object["meta_keys"] = strings(metaKeys)
    if profile.isTransformers { object["load_report"] = loadReport.map { .string($0) } ?? .null }
    return .object(object)
  }

  /// `clean`, `warnings`, `broken`, `fails` or `cannot-tell`.
  public var statusName: String {
    switch status {
    case .clean: "clean"
    case .warnings: "warnings"
    case .broken: "broken"
    case .fails: "fails"
    case .cannotTell: "cannot-tell"
    }
  }

  /// A short human-readable report. Without `verbose`, info diagnostics and environment warnings are
  /// left out and key lists are cut after ten entries.
  public func text(verbose: Bool = false) -> String {
    var lines: [String] = []
    let limit = verbose ? Int.max : 10
    func list(_ title: String, _ items: [String]) {
      guard !items.isEmpty else { return }
      lines.append("\(title) (\(items.count)):")
      for item in items.prefix(limit) { lines.append("  \(DisplayText.terminalSafe(item))") }
      if items.count > limit { lines.append("  … and \(items.count - limit) more (--verbose lists all)") }
    }
    let verdict: String
    switch status {
    case .clean: verdict = "loads cleanly"
    case .warnings: verdict = "loads, with warnings"
    case .broken: verdict = "loads, but the adapter is broken"
    case .fails: verdict = "the load fails"
    case .cannotTell: verdict = "cannot tell"
    }
    lines.append("\(verdict) [\(profile.rawValue) profile, \(call.rawValue) as '\(DisplayText.terminalSafe(adapterName))']")
    if let unknown {
      // Nothing else in the outcome is a prediction: no keys, no diagnostics.
      lines.append("unknown: \(DisplayText.terminalSafe(unknown))")
      return lines.joined(separator: "\n")
    }
    if profile != .recommended {
      // Every profile says when its answer rests on an inferred structure.
      for d in diagnostics where d.code == .architectureInferred {
        lines.append("note [\(d.code.rawValue)] \(DisplayText.terminalSafe(d.message))")
      }
    }
    if profile == .recommended {
      for d in diagnostics where verbose || d.severity != .info || d.code == .architectureInferred {
        lines.append("\(d.severity.rawValue) [\(d.code.rawValue)] \(DisplayText.terminalSafe(d.message))")
        if !d.keys.isEmpty {
          let shown = d.keys.prefix(verbose ? d.keys.count : 3).map { DisplayText.terminalSafe($0) }
          let more = d.keys.count > shown.count ? " … (+\(d.keys.count - shown.count))" : ""
          lines.append("    keys: \(shown.joined(separator: ", "))\(more)")
        }
        if let fix = d.fix { lines.append("    fix: \(DisplayText.terminalSafe(fix))") }
      }
      if verbose {
        list("missing keys", missingKeys)
        list("unexpected keys", unexpectedKeys)
      }
      return lines.joined(separator: "\n")
    }
    if let error {
      let messageLines = error.message.split(separator: "\n", omittingEmptySubsequences: false).map {
        DisplayText.terminalSafe(String($0).replacing("\t", with: "  "))
      }
      lines.append("error: \(error.kind): \(messageLines.first ?? "")")
      lines += messageLines.dropFirst().map { "  " + $0 }
    }
    list("missing keys", missingKeys)
    list("unexpected keys", unexpectedKeys)
    list("mismatched (ignored)", mismatched.map { "\($0.key): checkpoint \($0.checkpointShape), model \($0.modelShape)" })
    let shownWarnings = warnings.filter { verbose || !Self.environmentCategories.contains($0.category) }
    list("warnings", shownWarnings.map { "\($0.category): \($0.message)" })
    if verbose, let loadReport {
      // The table as transformers logs it, without its terminal styling.
      lines.append("load report:")
      lines += loadReport.replacing("\u{1B}[1m", with: "").replacing("\u{1B}[0m", with: "")
        .split(separator: "\n", omittingEmptySubsequences: false)
        .map { "  " + DisplayText.terminalSafe(String($0).replacing("\t", with: "  ")) }
    }
    return lines.joined(separator: "\n")
  }
}
