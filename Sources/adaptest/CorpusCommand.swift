import ArgumentParser
import Conformance
import TensorIO

/// `adaptest corpus …`: work on the hand-written case corpus.
struct CorpusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "corpus", abstract: "Check and extend the conformance corpus.",
    subcommands: [Lint.self, New.self])

  struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "lint",
      abstract: "Report every problem in the corpus's case and expectation files, with file:line:column.",
      discussion: """
        With case files given, only those are linted (their syntax, names, id and whether the generator \
        can build them), without reading the rest of the corpus or expanding the matrix.
        """)

    @Option(help: "The corpus folder.") var corpus = "Corpus"

    @Argument(help: "Case files to lint alone (default: the whole corpus and the matrix).")
    var files: [String] = []

    func run() throws {
      if !files.isEmpty { return try lintFiles() }
      let loaded = try loadCorpus(corpus)
      // Paths from the working directory, so that a terminal or an editor opens them as printed.
      for diagnostic in loaded.diagnostics { print(DisplayText.terminalSafe(diagnostic.relative(to: corpus).description)) }
      let errors = loaded.diagnostics.filter { $0.severity == .error }.count
      let warnings = loaded.diagnostics.count - errors
      print(
        "\(loaded.cases.count) valid case(s), \(loaded.expectations.count) expectation file(s): "
          + "\(errors) error(s), \(warnings) warning(s)")
      if errors > 0 { throw ExitCode(ExitStatus.findings) }
    }

    private func lintFiles() throws {
      let (cases, diagnostics) = try CLIFailure.reading(corpus) { try Corpus.lint(caseFiles: files, root: corpus) }
      for diagnostic in diagnostics { print(DisplayText.terminalSafe(diagnostic.relative(to: corpus).description)) }
      let errors = diagnostics.filter { $0.severity == .error }.count
      print("\(cases.count) valid case(s) of \(files.count): \(errors) error(s), \(diagnostics.count - errors) warning(s)")
      if errors > 0 { throw ExitCode(ExitStatus.findings) }
    }
  }

  struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "new",
      abstract: "Write a new case file from the template.",
      discussion: "NAME is the case id, e.g. vocab/resized-down; the file is Corpus/cases/NAME.yaml.")

    @Argument(help: "The case id (lower-case path segments).") var name: String
    @Option(help: "The corpus folder.") var corpus = "Corpus"

    func validate() throws {
      guard CaseDecoder.isValidID(name) else {
        throw ValidationError("'\(DisplayText.terminalSafe(name))' is not a valid case id: use lower-case [a-z0-9._-] segments separated by '/'")
      }
    }

    func run() throws {
      let path = FileSystem.join(corpus, "cases", name + ".yaml")
      guard FileSystem.kind(of: path) == .missing else {
        printError("error: \(DisplayText.terminalSafe(path)) already exists")
        throw ExitCode(ExitStatus.invalidInput)
      }
      if let slash = path.lastIndex(of: "/") { try FileSystem.createDirectory(String(path[..<slash])) }
      try AtomicFile.write(text: CaseScaffold.text(id: name), to: path)
      print(path)
    }
  }
}

/// Writes a line to standard error.
func printError(_ text: String) { CLIFailure.printError(text) }
