import ArgumentParser
import Conformance
import TensorIO

/// `adaptest report …`: rebuild and combine report folders.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report", abstract: "Combine and re-render conformance reports.",
    subcommands: [Merge.self, Render.self, Agreement.self, Architectures.self, Versions.self])

  struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "merge",
      abstract: "Merge results.json files of sharded runs into one report folder.")

    @Argument(help: "results.json files (or report folders holding one).") var inputs: [String]
    @Option(help: "The output folder.") var out: String
    @Option(help: "A results.json to report regressions against.") var baseline: String?
    @Option(help: "Where index.html will be published; summary.md then links each case id to its entry.")
    var reportURL: String?
    @Flag(help: "Merge even when shards are missing (the report then covers part of the run).") var allowPartial = false

    func run() throws {
      do {
        try ReportWriter.checkWritable(out)
      } catch {
        printError("error: cannot write reports to \(DisplayText.terminalSafe(out)): \(error)")
        throw ExitCode(ExitStatus.invalidInput)
      }
      let runs = try inputs.map { try readResults($0) }
      let merged: RunResults
      do {
        merged = try RunResults.merge(runs, allowPartial: allowPartial)
      } catch {
        printError("error: cannot merge: \(error)")
        throw ExitCode(ExitStatus.invalidInput)
      }
      let diff = try ReportWriter.write(merged, baseline: try baseline.map { try readResults($0) }, to: out, reportURL: reportURL)
      printRunSummary(merged, diff: diff)
      print("reports written to \(out)")
    }
  }

  struct Architectures: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "architectures",
      abstract: "The architecture sweep as a table: model type × scenario → agrees / deviates, with every reason.",
      discussion: """
        Reads a run of the sweep (`adaptest run --sweep DIR --loader peft --loader peft@X.Y.Z --full-details`) \
        and writes Markdown. Exits with 1 when a deviation has no explaining expectation entry.
        """)

    @Argument(help: "A results.json (or a report folder holding one).") var input: String
    @Option(help: "The sweep folder (for its versions and what it could not make).") var sweep: String?
    @Option(help: "The profile under test.") var profile = "peft"
    @Option(help: "The real loader it is compared with.") var reference = "peft@0.21.2"
    @Option(help: "Where to write the Markdown (default: standard output).") var out: String?

    func run() throws {
      let run = try readResults(input)
      let sweepValue: ArchitectureSweep?
      do {
        sweepValue = try sweep.map { try ArchitectureSweep(folder: $0) }
      } catch {
        printError("error: \(error)")
        throw ExitCode(ExitStatus.invalidInput)
      }
      let report = ArchitectureReport(run: run, profile: profile, reference: reference, sweep: sweepValue)
      let text = report.markdown()
      if let out {
        do {
          try AtomicFile.write(text: text, to: out)
        } catch {
          printError("error: cannot write \(out): \(error)")
          throw ExitCode(ExitStatus.invalidInput)
        }
        print("architecture report written to \(out)")
      } else {
        print(text, terminator: "")
      }
      if report.unexplainedDeviations > 0 { throw ExitCode(ExitStatus.findings) }
    }
  }

  struct Versions: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "versions",
      abstract: "The cross-version report of real PEFT releases, with each release line's profile agreement.",
      discussion: """
        RESULTS is a results.json (or report folder) of `adaptest run --loader peft@X.Y.Z … --loader peft@X.Y … \
        --full-details`; --stripped the same run made with ADAPTEST_PEFT_STRIP_UNKNOWN_CONFIG_FIELDS=1; \
        --matrix (repeatable) whole-matrix runs (`--filter '^matrix/'`, a release and its line's profile each), \
        --stripped-matrix the same with stripped configs. Writes Markdown: per release its statuses and how many \
        cases its profile answers as the release does (on the run and on the whole matrix), every disagreement, \
        the known deviations by reason and every case.
        """)

    @Argument(help: "A results.json (or a report folder holding one).") var input: String
    @Option(help: "The results of the same run with stripped configs.") var stripped: String?
    @Option(help: "A whole-matrix run's results (repeatable).") var matrix: [String] = []
    @Option(help: "A whole-matrix run's results with stripped configs (repeatable).") var strippedMatrix: [String] = []
    @Option(help: "Where to write the Markdown.") var out = "reports/peft-versions.md"

    func run() throws {
      let report = VersionsReport(
        asIs: try readResults(input), stripped: try stripped.map(readResults), matrix: try matrix.map(readResults),
        strippedMatrix: try strippedMatrix.map(readResults))
      do {
        try AtomicFile.write(text: report.markdown(), to: out)
      } catch {
        printError("adaptest: cannot write \(out): \(error)")
        throw ExitCode(ExitStatus.invalidInput)
      }
      print(DisplayText.terminalSafe("versions report written to \(out) (\(report.columns.map(\.title).joined(separator: ", ")))"))
    }
  }

  struct Agreement: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "agreement",
      abstract: "How often two loaders of one run report the same keys and error kind (the differential).",
      discussion: """
        Compares, case by case, the missing keys and unexpected keys (as ordered lists) and the error \
        kind of two loaders in one results.json, over the cases both ran. The run must keep every \
        answer (`adaptest run --full-details`). Exits with 1 on a disagreement or a result without \
        details.
        """)

    @Argument(help: "A results.json (or a report folder holding one).") var input: String
    @Argument(help: "The first loader id (peft).") var left: String
    @Argument(help: "The second loader id (peft@0.21.2).") var right: String

    func run() throws {
      let agreement = LoaderAgreement.compare(try readResults(input), left: left, right: right)
      let rate = agreement.rate.map { " (\($0))" } ?? ""
      print(DisplayText.terminalSafe("\(left) vs \(right): \(agreement.agreed)/\(agreement.compared) cases agree\(rate)"))
      for d in agreement.disagreements.prefix(50) {
        print(DisplayText.terminalSafe("  \(d.id) [\(d.format)]"))
        print(DisplayText.terminalSafe(String("    \(left): \(d.left)".prefix(600))))
        print(DisplayText.terminalSafe(String("    \(right): \(d.right)".prefix(600))))
      }
      if agreement.disagreements.count > 50 { print("  … and \(agreement.disagreements.count - 50) more") }
      if !agreement.withoutDetails.isEmpty {
        print("\(agreement.withoutDetails.count) case(s) carry no answer: rerun with --full-details")
      }
      if agreement.compared == 0, agreement.withoutDetails.isEmpty { print("no case was run by both loaders") }
      if !agreement.disagreements.isEmpty || !agreement.withoutDetails.isEmpty || agreement.compared == 0 {
        throw ExitCode(ExitStatus.findings)
      }
    }
  }

  struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "render", abstract: "Write summary.md, junit.xml and index.html for a results.json.")

    @Argument(help: "A results.json (or a report folder holding one).") var input: String
    @Option(help: "The output folder.") var out: String
    @Option(help: "A results.json to report regressions against.") var baseline: String?
    @Option(help: "Where index.html will be published; summary.md then links each case id to its entry.")
    var reportURL: String?

    func run() throws {
      let run = try readResults(input)
      try ReportWriter.write(run, baseline: try baseline.map { try readResults($0) }, to: out, reportURL: reportURL)
      print("reports written to \(out)")
    }
  }
}

/// `adaptest diff OLD NEW`.
struct DiffCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff", abstract: "Compare two results.json files: improved, regressed, changed, added, removed.",
    discussion: "Exits with status 1 when anything regressed.")

  @Argument(help: "The earlier results.json (or report folder).") var old: String
  @Argument(help: "The later results.json (or report folder).") var new: String
  @Flag(help: "Also list changed, added and removed results.") var verbose = false

  func run() throws {
    let before = try readResults(old)
    let after = try readResults(new)
    let diff = ResultsDiff.compare(old: before, new: after)
    print(
      "\(diff.regressed.count) regressed, \(diff.improved.count) improved, \(diff.changed.count) changed, "
        + "\(diff.added.count) added, \(diff.removed.count) removed, \(diff.unchanged) unchanged")
    printChanges("regressed", diff.regressed)
    printChanges("improved", diff.improved)
    if verbose {
      printChanges("changed", diff.changed)
      for result in diff.added { print("added: \(DisplayText.terminalSafe(result.key.description)) \(result.status)") }
      for result in diff.removed { print("removed: \(DisplayText.terminalSafe(result.key.description)) \(result.status)") }
    }
    if diff.hasRegressions { throw ExitCode(ExitStatus.findings) }
  }
}

func printChanges(_ label: String, _ changes: [ResultsDiff.Change], limit: Int = 50) {
  for change in changes.prefix(limit) {
    var line = "\(label): \(change.key) \(change.old) → \(change.new)"
    if !change.message.isEmpty { line += ": \(change.message)" }
    print(DisplayText.terminalSafe(String(line.prefix(400))))
  }
  if changes.count > limit { print("\(label): … and \(changes.count - limit) more") }
}

/// Loads the corpus at `root`; a corpus that cannot be read at all ends the command with status 3.
func loadCorpus(_ root: String, matrix: MatrixSelection = .all) throws -> Corpus {
  do {
    return try Corpus.load(root: root, matrix: matrix)
  } catch {
    printError("error: \(error)")
    throw ExitCode(ExitStatus.invalidInput)
  }
}

/// Reads a results.json, given directly or as the report folder holding it.
func readResults(_ path: String) throws -> RunResults {
  do {
    return try ReportWriter.read(resultsFile(path))
  } catch {
    printError("error: \(error)")
    throw ExitCode(ExitStatus.invalidInput)
  }
}

/// The results file `path` names: the file itself, or a report folder's `results.json`.
func resultsFile(_ path: String) -> String {
  FileSystem.kind(of: path) == .directory ? FileSystem.join(path, "results.json") : path
}

/// Counts per loader and status, one line each.
func printRunSummary(_ run: RunResults, diff: ResultsDiff?) {
  for loader in run.loaderIDs {
    let counts = run.counts(loader: loader)
    let parts = CaseStatus.allCases.compactMap { status in
      (counts[status] ?? 0) > 0 ? "\(counts[status]!) \(Colour.status(status))" : nil
    }
    print("\(DisplayText.terminalSafe(loader)): \(parts.joined(separator: ", "))")
  }
  if let diff {
    print(
      "against the baseline: \(diff.regressed.count) regressed, \(diff.improved.count) improved, "
        + "\(diff.changed.count) changed, \(diff.added.count) added, \(diff.removed.count) removed")
    printChanges("regressed", diff.regressed, limit: 20)
  }
}
