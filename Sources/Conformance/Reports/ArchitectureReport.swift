import TensorIO

/// `reports/architectures.md`: the architecture sweep as a differential — for every model type, task
/// and scenario, whether a profile reports what the real loader reports (ordered missing and unexpected
/// keys, error kind), with every deviation and every pair that could not be made listed with its reason.
public struct ArchitectureReport: Sendable {
  public var run: RunResults
  /// The profile under test (`peft`) and the real release it reproduces (`peft@0.21.2`).
  public var profile: String
  public var reference: String
  /// The sweep, for its versions and what it could not make.
  public var sweep: ArchitectureSweep?

  public init(run: RunResults, profile: String, reference: String, sweep: ArchitectureSweep? = nil) {
    self.run = run
    self.profile = profile
    self.reference = reference
    self.sweep = sweep
  }

  /// One row of the table: a model type's task class.
  struct Row: Hashable {
    var modelType: String
    var task: String
  }

  /// How a case came out.
  enum Cell: Equatable {
    case agree
    /// The profile and the real loader differ: how, and why when an expectation entry says so.
    case deviation(answers: String, reason: String?)
    /// A result without the answers to compare (run without `--full-details`), or a loader error.
    case unknown(String)
  }

  /// The per-case comparison and the figures.
  struct Analysis {
    var cells: [Row: [String: Cell]] = [:]
    var scenarios: [String] = []
    var agreed = 0
    var compared = 0
    /// Cases where the reference loads and `recommended` says the load fails (must be none).
    var recommendedFalseFailures: [String] = []
    var recommendedCompared = 0
  }

  func analyze() -> Analysis {
    var analysis = Analysis()
    var byLoader: [String: [String: CaseResult]] = [:]
    for result in run.results { byLoader[result.loader, default: [:]][result.id] = result }
    let references = byLoader[reference] ?? [:]
    let profiles = byLoader[profile] ?? [:]
    let recommended = byLoader["recommended"] ?? [:]
    var scenarios: [String] = []
    for id in references.keys.sorted() {
      guard let coordinates = parse(id) else { continue }
      if !scenarios.contains(coordinates.scenario) { scenarios.append(coordinates.scenario) }
      let row = Row(modelType: coordinates.modelType, task: coordinates.task)
      guard let real = references[id], let simulated = profiles[id] else { continue }
      let cell: Cell
      if let a = LoaderAgreement.answer(simulated), let b = LoaderAgreement.answer(real) {
        analysis.compared += 1
        if a == b {
          analysis.agreed += 1
          cell = .agree
        } else {
          cell = .deviation(
            answers: "\(profile): \(a); \(reference): \(b)",
            reason: simulated.expectation?.reason ?? real.expectation?.reason)
        }
      } else {
        cell = .unknown("\(simulated.status) / \(real.status): \(real.message.isEmpty ? simulated.message : real.message)")
      }
      analysis.cells[row, default: [:]][coordinates.scenario] = cell
      if cell == .agree, let verdict = recommended[id], let realAnswer = LoaderAgreement.answer(real) {
        analysis.recommendedCompared += 1
        let says = verdict.actual?.objectValue?["error"].map { !$0.isNull } ?? false
        if realAnswer.errorKind == nil && says { analysis.recommendedFalseFailures.append(id) }
      }
    }
    let order = ["lora-all-linear", "vocab-resized", "embeddings-resized", "modules-to-save-head", "second-adapter",
                 "ia3-all-linear"]
    analysis.scenarios = scenarios.sorted { (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1) }
    return analysis
  }

  private func parse(_ id: String) -> (modelType: String, task: String, scenario: String)? {
    let parts = id.split(separator: "/").map(String.init)
    guard parts.count == 4, parts[0] == "architectures" else { return nil }
    return (parts[1], parts[2], parts[3])
  }

  /// The report as Markdown.
  public func markdown() -> String {
    let analysis = analyze()
    var lines: [String] = ["# Architecture sweep: \(profile) against \(reference)", ""]
    if let versions = sweep?.versions, !versions.isEmpty {
      let listed = versions.keys.sorted().map { "\($0) \(versions[$0] ?? "")" }.joined(separator: ", ")
      lines.append("Bases saved by transformers and adapters saved by PEFT (\(listed)), one tiny model per model type "
        + "and task class; each case loaded by `\(profile)` (Adaptest) and `\(reference)` (the real library through "
        + "the driver). A case agrees when both report the same missing and unexpected keys, in the same order, "
        + "and the same error kind. Made by `scripts/sweep/make_architecture_sweep.py`, run with "
        + "`adaptest run --sweep`, written by `adaptest report architectures`.")
      lines.append("")
    }
    let rows = analysis.cells.keys.sorted { ($0.task, $0.modelType) < ($1.task, $1.modelType) }
    let tasks = Array(Set(rows.map(\.task))).sorted()
    lines.append("| | " + tasks.joined(separator: " | ") + " | all |")
    lines.append("|---|" + String(repeating: "---:|", count: tasks.count + 1))
    func count(_ task: String?, _ body: (Row, [String: Cell]) -> Int) -> Int {
      analysis.cells.filter { task == nil || $0.key.task == task }.map { body($0.key, $0.value) }.reduce(0, +)
    }
    func figureRow(_ title: String, _ body: @escaping (Row, [String: Cell]) -> Int) {
      let values = tasks.map { count($0, body) } + [count(nil, body)]
      lines.append("| \(title) | " + values.map(String.init).joined(separator: " | ") + " |")
    }
    let uniqueTypes = Set(rows.map(\.modelType)).count
    lines.append("| model types | " + tasks.map { task in String(rows.filter { $0.task == task }.count) }
      .joined(separator: " | ") + " | \(uniqueTypes) |")
    figureRow("cases") { _, cells in cells.count }
    figureRow("agree") { _, cells in cells.values.filter { $0 == .agree }.count }
    figureRow("deviate") { _, cells in cells.values.filter { if case .deviation = $0 { true } else { false } }.count }
    figureRow("not compared") { _, cells in cells.values.filter { if case .unknown = $0 { true } else { false } }.count }
    lines.append("")
    let rate = analysis.compared == 0 ? "—" : percent(analysis.agreed, analysis.compared)
    lines.append("**Agreement: \(analysis.agreed) / \(analysis.compared) compared cases (\(rate)).** ")
    if analysis.recommendedCompared > 0 {
      lines.append("`recommended` says \"the load fails\" where \(reference) loads: "
        + "\(analysis.recommendedFalseFailures.count) of the \(analysis.recommendedCompared) cases where `\(profile)` agrees "
        + "(the listed deviations share the engine)."
        + analysis.recommendedFalseFailures.prefix(20).map { " `\($0)`" }.joined())
    }
    lines.append("")

    // Deviations grouped by the expectation entry that explains them; unexplained ones first.
    var groups: [(reason: String, lines: [String])] = []
    var total = 0
    func add(_ reason: String, _ line: String) {
      if let i = groups.firstIndex(where: { $0.reason == reason }) { groups[i].lines.append(line) } else { groups.append((reason, [line])) }
      total += 1
    }
    for row in rows {
      for scenario in analysis.scenarios {
        let id = "`\(row.modelType)/\(row.task)/\(scenario)`"
        switch analysis.cells[row]?[scenario] {
        case .deviation(let answers, let reason):
          let shown = answers.count > 240 ? String(answers.prefix(240)) + "…" : answers
          add(reason ?? "", "- \(id): \(MarkdownText.inline(shown))")
        case .unknown(let text): add("", "- \(id) (not compared): \(MarkdownText.inline(text))")
        default: continue
        }
      }
    }
    groups.sort { ($0.reason.isEmpty ? 0 : 1, $0.reason) < ($1.reason.isEmpty ? 0 : 1, $1.reason) }
    lines.append("## Deviations (\(total))")
    lines.append("")
    if groups.isEmpty { lines.append("None.") }
    for group in groups {
      lines.append(group.reason.isEmpty ? "### Unexplained (\(group.lines.count))" : "### \(group.lines.count) explained: \(group.reason)")
      lines.append("")
      lines += group.lines
      lines.append("")
    }
    lines.append("## Every case")
    lines.append("")
    lines.append("✓ agrees · ✗ deviates (listed above) · ? not compared · — not made (listed below)")
    lines.append("")
    lines.append("| model type | task | " + analysis.scenarios.joined(separator: " | ") + " |")
    lines.append("|---|---|" + String(repeating: ":-:|", count: analysis.scenarios.count))
    for row in rows {
      let cells = analysis.scenarios.map { scenario -> String in
        switch analysis.cells[row]?[scenario] {
        case .agree: "✓"
        case .deviation: "✗"
        case .unknown: "?"
        case nil: "—"
        }
      }
      lines.append("| \(row.modelType) | \(row.task) | " + cells.joined(separator: " | ") + " |")
    }
    if let skipped = sweep?.skipped, !skipped.isEmpty {
      lines.append("")
      lines.append("## Not made (\(skipped.count))")
      lines.append("")
      lines.append("Classes transformers cannot build tiny from their default config, and adapters PEFT refuses to make, "
        + "with the library's own reason:")
      lines.append("")
      for (subject, reason) in skipped {
        lines.append("- `\(subject)`: \(MarkdownText.inline(reason))")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// How many deviations no expectation entry explains (CI fails on any).
  public var unexplainedDeviations: Int {
    analyze().cells.values.flatMap(\.values).filter { cell in
      if case .deviation(_, nil) = cell { return true }
      return false
    }.count
  }

  private func percent(_ part: Int, _ whole: Int) -> String {
    let tenths = (part * 1000 + whole / 2) / whole
    return "\(tenths / 10).\(tenths % 10) %"
  }
}

/// Text made safe for a Markdown table cell or list item.
enum MarkdownText {
  static func inline(_ text: String) -> String {
    String(text.replacing("|", with: "\\|").replacing("\n", with: " ").replacing("`", with: "'").prefix(300))
  }
}
