import TensorIO

/// "Which versions load this adapter?": one load simulated under every PEFT release line (through `PeftModel`
/// and, for the lines with a transformers profile, through transformers' own `load_adapter`) and the
/// `recommended` profile, each summarized as a row (`adaptest check --all-versions`).
///
/// ```swift
/// for row in VersionCheck.rows(base: base, adapter: adapter) { print(row.profile, row.status) }
/// ```
public enum VersionCheck {
  /// One profile's answer.
  public struct Row: Sendable, Hashable {
    public var profile: LoadProfile
    /// `peft@0.13` … `peft@0.21`, `transformers@4.57`, `transformers@5.24`, `recommended`.
    public var name: String { profile.versionedName }
    /// The API the load goes through: `PeftModel.from_pretrained`, `PeftModel.load_adapter` or
    /// `transformers load_adapter` (`model.load_adapter` of transformers' `PeftAdapterMixin`).
    public var api: String
    /// The transformers release the line runs with (`nil` for `recommended`).
    public var transformers: String?
    public var status: LoadOutcome.Status
    /// `clean`, `warnings`, `broken`, `fails` or `cannot-tell`.
    public var statusName: String
    /// What the loader says first: the exception, else the first warning (or, for `recommended`, the
    /// first diagnostic), else the first missing or unexpected key; `nil` for a clean load.
    public var firstDiagnostic: String?
  }

  /// The profiles of `--all-versions`: every PEFT line oldest first, the transformers profiles, `recommended`.
  public static let allProfiles: [LoadProfile] =
    PEFTRelease.lines.map(LoadProfile.peft(at:)) + LoadProfile.transformersLines.map(LoadProfile.transformers(at:)) + [.recommended]

  /// The rows of every PEFT line, oldest first, then the transformers profiles, then `recommended`.
  public static func rows(
    base: BaseModel, adapter: AdapterSource, context: LoadContext = LoadContext(),
    profiles: [LoadProfile] = allProfiles
  ) -> [Row] {
    profiles.map { profile in
      let outcome = LoadSimulator.simulate(base: base, adapter: adapter, context: context, profile: profile)
      let api = profile.isTransformers ? "transformers load_adapter" : "PeftModel.\(context.call.rawValue)"
      return Row(
        profile: profile, api: api, transformers: profile.release?.transformersVersion,
        status: outcome.status, statusName: outcome.statusName, firstDiagnostic: firstDiagnostic(outcome))
    }
  }

  static func firstDiagnostic(_ outcome: LoadOutcome) -> String? {
    if let unknown = outcome.unknown { return unknown }
    if let error = outcome.error { return firstLine("\(error.kind): \(error.message)") }
    if !outcome.profile.isPEFT {
      return outcome.diagnostics.first { $0.severity != .info }.map { firstLine("[\($0.code.rawValue)] \($0.message)") }
    }
    if let warning = outcome.warnings.first(where: { !LoadOutcome.environmentCategories.contains($0.category) }) {
      return firstLine("\(warning.category): \(warning.message)")
    }
    if let key = outcome.missingKeys.first { return "missing keys (\(outcome.missingKeys.count)): \(key), …" }
    if let key = outcome.unexpectedKeys.first { return "unexpected keys (\(outcome.unexpectedKeys.count)): \(key), …" }
    if let mismatch = outcome.mismatched.first { return "size mismatch ignored: \(mismatch.key)" }
    return nil
  }

  private static func firstLine(_ text: String) -> String {
    String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
  }

  /// The rows as a fixed-width table (the diagnostic column last, unclipped).
  public static func table(_ rows: [Row]) -> String {
    let header = ["profile", "API", "transformers", "result", "first diagnostic"]
    let cells = rows.map { row in
      [row.name, row.api, row.transformers ?? "-", row.statusName, row.firstDiagnostic ?? "-"]
    }
    let widths = (0..<4).map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
    return ([header] + cells).map { line in
      (0..<4).map { line[$0].padding(to: widths[$0]) }.joined(separator: "  ") + "  " + line[4]
    }.joined(separator: "\n")
  }

  /// The rows as JSON: `{"rows": [{profile, api, transformers, status, first_diagnostic}]}`.
  public static func json(_ rows: [Row]) -> JSONValue {
    .object(
      JSONObject([
        (
          "rows",
          .array(
            rows.map { row in
              .object(
                JSONObject([
                  ("profile", .string(row.name)), ("api", .string(row.api)),
                  ("transformers", row.transformers.map(JSONValue.string) ?? .null),
                  ("status", .string(row.statusName)),
                  ("first_diagnostic", row.firstDiagnostic.map(JSONValue.string) ?? .null),
                ]))
            })
        )
      ]))
  }
}

extension String {
  fileprivate func padding(to width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
