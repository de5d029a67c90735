import AdapterLoading
import TensorIO

/// The JSON forms of outcomes and expectations: the driver protocol's `outcome` object and the
/// corpus's `expect` block, shared by drivers, `results.json` and the reports.
public enum OutcomeJSON {
  // MARK: Observed

  /// `{"missing_keys", "unexpected_keys", "mismatched_keys", "error", "warnings", "diagnostics"}`,
  /// leaving out the fields the loader does not report.
  public static func encode(_ outcome: ObservedOutcome, reports: Set<OutcomeField>) -> JSONValue {
    var object = JSONObject()
    if reports.contains(.missingKeys) { object["missing_keys"] = .strings(outcome.missingKeys) }
    if reports.contains(.unexpectedKeys) { object["unexpected_keys"] = .strings(outcome.unexpectedKeys) }
    if reports.contains(.mismatchedKeys) || !outcome.mismatched.isEmpty {
      object["mismatched_keys"] = .array(
        outcome.mismatched.map { m in
          .object(
            JSONObject([
              ("key", .string(m.key)), ("checkpoint_shape", .array(m.checkpointShape.map(JSONValue.int))),
              ("model_shape", .array(m.modelShape.map(JSONValue.int))),
            ]))
        })
    }
    if reports.contains(.error) || outcome.error != nil {
      object["error"] =
        outcome.error.map { error in
          var e = JSONObject()
          e["kind"] = .string(error.kind.rawValue)
          e["type"] = error.type.map(JSONValue.string) ?? .null
          e["message"] = .string(error.message)
          e["format_error"] = error.formatError.map(JSONValue.string) ?? .null
          return .object(e)
        } ?? .null
    }
    if reports.contains(.warnings) {
      object["warnings"] = .array(
        outcome.warnings.map {
          .object(JSONObject([("category", .string($0.category)), ("message", .string($0.message))]))
        })
    }
    if reports.contains(.diagnostics) {
      object["diagnostics"] = .array(
        outcome.diagnostics.map { d in
          .object(
            JSONObject([
              ("code", .string(d.code)), ("severity", .string(d.severity)), ("keys", .strings(d.keys)),
              ("message", .string(d.message)), ("fix", d.fix.map(JSONValue.string) ?? .null),
            ]))
        })
    }
    return .object(object)
  }

  /// Decodes an `outcome` object (as a driver sends it).
  /// - Throws: ``JSONShapeError`` naming the offending member.
  public static func decodeObserved(_ value: JSONValue, path: String = "outcome") throws(JSONShapeError) -> ObservedOutcome {
    let fields = try JSONFields(value, path: path)
    var outcome = ObservedOutcome()
    outcome.missingKeys = try fields.strings("missing_keys")
    outcome.unexpectedKeys = try fields.strings("unexpected_keys")
    for (i, item) in try fields.objects("mismatched_keys", default: []).enumerated() {
      let m = try JSONFields(item, path: "\(path).mismatched_keys[\(i)]")
      outcome.mismatched.append(
        MismatchedKey(key: try m.string("key"), checkpointShape: try m.ints("checkpoint_shape"), modelShape: try m.ints("model_shape")))
    }
    let error = try fields.value("error")
    if !error.isNull {
      let e = try JSONFields(error, path: fields.sub("error"))
      outcome.error = LoadError(
        kind: ErrorKind(try e.string("kind")), type: try e.optionalString("type"), message: try e.optionalString("message") ?? "",
        formatError: try e.optionalString("format_error"))
    }
    for (i, item) in try fields.objects("warnings", default: []).enumerated() {
      let w = try JSONFields(item, path: "\(path).warnings[\(i)]")
      outcome.warnings.append(LoadWarning(category: try w.string("category"), message: try w.optionalString("message") ?? ""))
    }
    for (i, item) in try fields.objects("diagnostics", default: []).enumerated() {
      let d = try JSONFields(item, path: "\(path).diagnostics[\(i)]")
      outcome.diagnostics.append(
        LoadDiagnostic(
          code: try d.string("code"), severity: try d.optionalString("severity") ?? "warning",
          keys: try d.strings("keys", default: []), message: try d.optionalString("message") ?? "",
          fix: try d.optionalString("fix")))
    }
    return outcome
  }

  // MARK: Expected

  /// The `expect` block as JSON, with only the written fields.
  public static func encode(_ expected: ExpectedOutcome) -> JSONValue {
    var object = JSONObject()
    func set(_ key: String, _ value: SetExpectation?) {
      guard let value else { return }
      switch value {
      case .exactly(let all): object[key] = .strings(all)
      case .constrained(let includes, let excludes):
        var c = JSONObject()
        if !includes.isEmpty { c["includes"] = .strings(includes) }
        if !excludes.isEmpty { c["excludes"] = .strings(excludes) }
        object[key] = .object(c)
      }
    }
    set("missing_keys", expected.missingKeys)
    set("unexpected_keys", expected.unexpectedKeys)
    set("mismatched_keys", expected.mismatchedKeys)
    switch expected.error {
    case nil: break
    case .none?: object["error"] = .null
    case .error(let e)?:
      var error = JSONObject([("kind", .string(e.kind.rawValue))])
      if let type = e.type { error["type"] = .string(type) }
      if let format = e.formatError { error["format_error"] = .string(format) }
      object["error"] = .object(error)
    }
    set("diagnostics", expected.diagnostics)
    set("warnings", expected.warnings)
    return .object(object)
  }
}
