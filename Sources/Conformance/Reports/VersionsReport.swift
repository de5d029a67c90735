import AdapterLoading
import TensorIO

/// The cross-version report of real PEFT releases (`reports/peft-versions.md`), from one or two runs of
/// `adaptest run --loader peft@X.Y.Z … --loader peft@X.Y … --full-details`: per release its results
/// against the corpus and its expectation files, and the agreement of the release line's profile
/// (`peft@X.Y`) with the real release, every disagreement listed.
///
/// Deterministic: releases by version, reasons and cases sorted, scratch paths replaced.
public struct VersionsReport: Sendable {
  /// One column: a real release (`peft@0.14.0`), possibly from the stripped-config run.
  public struct Column: Sendable, Hashable {
    public var loader: String
    /// Set for the run whose configs were reduced to the fields the release knows.
    public var stripped: Bool
    public var title: String { stripped ? "\(loader) (stripped config)" : loader }
  }

  /// The whole matrix's agreement for one column: the profile against the release on every matrix case
  /// both ran, and the reason the release's expectation files give for each disagreement.
  struct MatrixAgreement: Sendable {
    var agreement: LoaderAgreement
    /// The release's expectation reason by disagreeing case id (empty: none listed).
    var reasons: [String: String]
  }

  public private(set) var columns: [Column] = []
  private var results: [Column: [String: CaseResult]] = [:]
  private var agreements: [Column: LoaderAgreement] = [:]
  private var matrixAgreements: [Column: MatrixAgreement] = [:]

  /// - Parameters:
  ///   - asIs: the run with the adapters as written.
  ///   - stripped: the same run with `ADAPTEST_PEFT_STRIP_UNKNOWN_CONFIG_FIELDS=1`, if any.
  ///   - matrix: whole-matrix runs (`--filter '^matrix/'`, a release with its line's profile each) for the
  ///     *whole matrix* column; a release found in none says "not run".
  ///   - strippedMatrix: the same with stripped configs, for the stripped column.
  public init(asIs: RunResults, stripped: RunResults? = nil, matrix: [RunResults] = [], strippedMatrix: [RunResults] = []) {
    for (run, isStripped) in [(asIs, false)] + (stripped.map { [($0, true)] } ?? []) {
      let releases = Set(run.results.map(\.loader).filter { Self.release(of: $0) != nil })
      for loader in releases.sorted(by: Self.precedes) {
        let column = Column(loader: loader, stripped: isStripped)
        columns.append(column)
        var byCase: [String: CaseResult] = [:]
        // PEFT reads safetensors only; HDF5 runs are the built-in profiles' business.
        for result in run.results where result.loader == loader && result.format != .hdf5 { byCase[result.id] = result }
        results[column] = byCase
        let profile = Self.profile(for: loader, in: run)
        if let profile { agreements[column] = LoaderAgreement.compare(run, left: profile, right: loader) }
      }
    }
    for column in columns {
      for run in column.stripped ? strippedMatrix : matrix {
        guard let profile = Self.profile(for: column.loader, in: run) else { continue }
        matrixAgreements[column] = Self.matrixAgreement(run, profile: profile, release: column.loader)
        break
      }
    }
  }

  /// The agreement over the matrix cases of a whole-matrix run (safetensors: PEFT cannot read HDF5).
  static func matrixAgreement(_ run: RunResults, profile: String, release: String) -> MatrixAgreement {
    let matrixOnly = RunResults(
      info: run.info,
      results: run.results.filter { $0.id.hasPrefix("matrix/") && $0.format != .hdf5 && ($0.loader == profile || $0.loader == release) })
    let agreement = LoaderAgreement.compare(matrixOnly, left: profile, right: release)
    let disagreeing = Set(agreement.disagreements.map(\.id))
    var reasons: [String: String] = [:]
    for result in matrixOnly.results where result.loader == release && disagreeing.contains(result.id) {
      reasons[result.id] = Self.oneLine(result.expectation?.reason ?? "")
    }
    return MatrixAgreement(agreement: agreement, reasons: reasons)
  }

  static func oneLine(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }

  /// `a/b (rate)`, or `not run`.
  static func figure(_ agreement: LoaderAgreement?) -> String {
    guard let a = agreement else { return "not run" }
    var text = "`\(a.left)`: \(a.agreed)/\(a.compared)" + (a.rate.map { " (\($0))" } ?? "")
    if !a.withoutDetails.isEmpty { text += "; \(a.withoutDetails.count) without an answer" }
    return text
  }

  /// The real releases' loader names: PEFT through `PeftModel`, then transformers' own loading.
  static let releasePrefixes = ["peft@", "transformers@"]

  /// `peft@0.14.0` → [0, 14, 0], `transformers@5.24.0` → [5, 24, 0]; `nil` for a loader that is not a real release.
  static func release(of loader: String) -> [Int]? {
    guard let prefix = releasePrefixes.first(where: { loader.hasPrefix($0) }) else { return nil }
    let parts = loader.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
    guard parts.count == 3, parts.allSatisfy({ $0 != nil }) else { return nil }
    return parts.map { $0! }
  }

  /// PEFT releases before transformers ones, each by version.
  static func precedes(_ a: String, _ b: String) -> Bool {
    let (pa, pb) = (a.hasPrefix("peft@") ? 0 : 1, b.hasPrefix("peft@") ? 0 : 1)
    if pa != pb { return pa < pb }
    return release(of: a)!.lexicographicallyPrecedes(release(of: b)!)
  }

  /// The profile of a release's line present in the run: `peft@0.14` (`peft` for the newest line),
  /// `transformers@5.24`.
  static func profile(for loader: String, in run: RunResults) -> String? {
    guard let parts = release(of: loader) else { return nil }
    let loaders = Set(run.results.map(\.loader))
    let name = loader.hasPrefix("peft@") ? "peft" : "transformers"
    let line = "\(name)@\(parts[0]).\(parts[1])"
    if loaders.contains(line) { return line }
    // The newest line's profile is usually run under its short name.
    if line == "peft@\(PEFTRelease.latest)", loaders.contains("peft") { return "peft" }
    return nil
  }

  private static let symbols: [CaseStatus: String] = [
    .pass: "pass", .xfail: "known", .fail: "**FAIL**", .error: "**ERROR**", .timeout: "**TIMEOUT**",
    .xpass: "**XPASS**", .skip: "skip",
  ]

  /// The report as Markdown.
  public func markdown() -> String {
    var lines = [
      "# Real PEFT across releases", "",
      "Every corpus case (safetensors; PEFT cannot read HDF5) and a slice of the generated matrix run through the",
      "PEFT driver against each release, checked against the case's `expect` (what a correct loader reports) and",
      "the release's expectation files; `known` = a known deviation listed with its reason (XFAIL), `skip` = the",
      "release cannot run the case. The *profile agrees* column is the differential of the release line's profile",
      "(`peft@X.Y`) against the real release: the cases where both report the same missing and unexpected keys",
      "and the same error kind. Made by `adaptest report versions` (see the README).", "",
      "Adapters are written as PEFT 0.21 writes them. PEFT 0.13 builds its config class with every field of",
      "`adapter_config.json` and raises `TypeError` on the ones it does not know, so as-is nearly every case fails",
      "on it; the *stripped config* column loads copies reduced to the fields 0.13 knows and shows its key",
      "semantics (the profile strips the same way in that run).", "",
      "`transformers@X.Y.Z` columns load through transformers' own `model.load_adapter` (PeftAdapterMixin, no",
      "`PeftModel`) with the PEFT release pinned to that transformers (5.24.0: PEFT 0.21.2; 4.57.6: PEFT 0.18.1);",
      "their profile is `transformers@X.Y`.", "",
      "The *whole matrix* column is the same differential on every case of the generated matrix (`Corpus/matrix.yaml`,",
      "safetensors) from a separate run per release (`--filter '^matrix/'`); its disagreements are grouped below",
      "by the reason the release's expectation files give.", "",
      "| release | pass | known deviation | FAIL | ERROR | skip | profile agrees | whole matrix |",
      "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for column in columns {
      var counts: [CaseStatus: Int] = [:]
      for result in (results[column] ?? [:]).values { counts[result.status, default: 0] += 1 }
      let errors = counts[.error, default: 0] + counts[.timeout, default: 0]
      lines.append(
        "| `\(column.title)` | \(counts[.pass, default: 0]) | \(counts[.xfail, default: 0]) | \(counts[.fail, default: 0]) "
          + "| \(errors) | \(counts[.skip, default: 0]) | \(Self.figure(agreements[column])) "
          + "| \(Self.figure(matrixAgreements[column]?.agreement)) |")
    }

    lines += ["", "## Where a profile disagrees with its release", ""]
    var anyDisagreement = false
    for column in columns {
      guard let a = agreements[column], !a.disagreements.isEmpty else { continue }
      anyDisagreement = true
      lines.append("- `\(a.left)` vs `\(column.title)`:")
      for d in a.disagreements.sorted(by: { $0.id < $1.id }) {
        // The release's own known deviation on the case says why the profile cannot follow it.
        let reason = (results[column]?[d.id]?.expectation?.reason ?? "").split(whereSeparator: \.isWhitespace)
          .joined(separator: " ")
        lines.append(
          "  - `\(d.id)`: profile \(Self.clip(d.left.description, limit: 160)); release "
            + "\(Self.clip(d.right.description, limit: 160))" + (reason.isEmpty ? "" : ". Why: \(reason)"))
      }
    }
    if !anyDisagreement { lines.append("None.") }

    lines += ["", "## Where a profile disagrees with its release on the whole matrix", ""]
    lines += matrixDisagreementLines()

    lines += ["", "## Known differences from the corpus expectations", ""]
    var reasons: [String: [Column: Int]] = [:]
    for column in columns {
      for result in (results[column] ?? [:]).values where result.status == .xfail {
        let reason = (result.expectation?.reason ?? "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if !reason.isEmpty { reasons[reason, default: [:]][column, default: 0] += 1 }
      }
    }
    for reason in reasons.keys.sorted() {
      let counts = reasons[reason] ?? [:]
      let whereText = columns.compactMap { c in counts[c].map { "`\(c.title)`: \($0) case(s)" } }.joined(separator: "; ")
      lines.append("- \(reason) (\(whereText))")
    }

    lines += ["", "## Unexpected results", ""]
    var unexpected: [String] = []
    for column in columns {
      for (id, result) in (results[column] ?? [:]).sorted(by: { $0.key < $1.key }) where result.status.isUnexpected {
        unexpected.append("- `\(column.title)` `\(id)`: \(result.status): \(Self.clip(Self.firstLine(result.message)))")
      }
    }
    lines += unexpected.isEmpty ? ["None."] : unexpected

    let ids = Set(columns.flatMap { (results[$0] ?? [:]).keys }).sorted()
    lines += ["", "## Every case", "", "| case | " + columns.map { "`\($0.title)`" }.joined(separator: " | ") + " |",
              "|---|" + String(repeating: "---|", count: columns.count)]
    for id in ids {
      let cells = columns.map { c in results[c]?[id].flatMap { Self.symbols[$0.status] } ?? "" }
      lines.append("| `\(id)` | " + cells.joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Per column, the whole matrix's disagreements grouped by the release's reason, each group with its count
  /// and its cases by `architecture/tuner` (a matrix id is `matrix/<architecture>/<base>/<tuner>/<adapter>`).
  func matrixDisagreementLines() -> [String] {
    var lines: [String] = []
    for column in columns {
      guard let m = matrixAgreements[column], !m.agreement.disagreements.isEmpty else { continue }
      lines.append("- `\(m.agreement.left)` vs `\(column.title)`: \(m.agreement.disagreements.count) case(s)")
      var groups: [String: [String]] = [:]
      for d in m.agreement.disagreements { groups[m.reasons[d.id] ?? "", default: []].append(d.id) }
      // Listed reasons first, then the cases no expectation explains.
      for reason in groups.keys.sorted(by: { ($0.isEmpty ? 1 : 0, $0) < ($1.isEmpty ? 1 : 0, $1) }) {
        let ids = groups[reason] ?? []
        var cells: [String: Int] = [:]
        for id in ids {
          let parts = id.split(separator: "/")
          let cell = parts.count == 5 ? "\(parts[1])/\(parts[3])" : id
          cells[cell, default: 0] += 1
        }
        let cases = cells.keys.sorted().map { "`\($0)` \(cells[$0] ?? 0)" }.joined(separator: ", ")
        lines.append("  - \(ids.count): \(reason.isEmpty ? "no reason listed" : reason) (\(cases))")
      }
    }
    return lines.isEmpty ? ["None" + (matrixAgreements.isEmpty ? " run." : ".")] : lines
  }

  /// The first line of a message, scratch folders of the run (with its process id) replaced.
  static func firstLine(_ message: String) -> String {
    let line = String(message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    var result = ""
    var rest = Substring(line)
    while let range = rest.firstRange(of: "adaptest-run-") {
      // `/tmp/adaptest-run-<pid>` or `/dev/shm/adaptest-run-<pid>` → `<scratch>`
      var head = rest[..<range.lowerBound]
      for root in ["/tmp/", "/dev/shm/"] where head.hasSuffix(root) {
        head = head.dropLast(root.count)
        break
      }
      result += head + "<scratch>"
      var after = range.upperBound
      while after < rest.endIndex, rest[after].isNumber { after = rest.index(after: after) }
      rest = rest[after...]
    }
    return result + rest
  }

  static func clip(_ text: String, limit: Int = 300) -> String {
    text.count <= limit ? text : String(text.prefix(limit)) + "…"
  }
}
