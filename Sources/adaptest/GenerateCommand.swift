import AdapterLoading
import ArgumentParser
import Checkpoints
import Conformance
import Synthesis
import TensorIO

/// `adaptest generate`: write (base, adapter) pairs with their expected outcomes.
struct GenerateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate (base, adapter) pairs with the outcome a correct loader reports.",
    discussion: """
      Each case becomes OUT/ID/ with base/ (the base the adapter is loaded into), adapter/, \
      loaded/NAME/ (adapters already in the model) and case.json (how the pair was made and the \
      expected outcome). With --format both, OUT/ID/safetensors/ and OUT/ID/hdf5/. A pair is \
      assembled aside and renamed into place: an existing folder is an error (or, with --overwrite, \
      replaced whole), never half-written. --case reads a corpus case, --matrix a matrix (each YAML, \
      as in Corpus/, or the same tree in JSON); impossible combinations of a matrix are skipped with \
      their reason (OUT/matrix.json lists both). Exit status 3 when a file cannot be read or decoded.
      """)

  enum FormatChoice: String, ExpressibleByArgument, CaseIterable {
    case safetensors, hdf5, both
    var formats: [CheckpointFormat] {
      switch self {
      case .safetensors: [.safetensors]
      case .hdf5: [.hdf5]
      case .both: [.safetensors, .hdf5]
      }
    }
  }

  @Option(help: "The folder to write pairs into.") var out: String
  @Option(name: .customLong("case"), help: "A case file (YAML or JSON).") var caseFile: String?
  @Option(help: "A matrix file (YAML or JSON), e.g. Corpus/matrix.yaml.") var matrix: String?
  @Option(help: "safetensors, hdf5 or both.") var format: FormatChoice = .safetensors
  @Option(help: "The data seed: same seed, same bytes.") var seed: UInt64 = 0
  @Flag(help: "Leave the bases' tensor data as holes (sparse files; real-size presets).") var sparse = false
  @Flag(help: "Replace existing pair folders.") var overwrite = false

  func validate() throws {
    guard (caseFile == nil) != (matrix == nil) else { throw ValidationError("give exactly one of --case and --matrix") }
  }

  func run() throws {
    let writer = PairWriter(formats: .standard)
    if let caseFile {
      let plan: PairPlan
      do {
        plan = try PairPlan(try RecipeFiles.recipe(at: caseFile))
      } catch {
        CLIFailure.printLines(String(describing: error))
        throw ExitCode(ExitStatus.invalidInput)
      }
      try write(plan, writer: writer)
      print("generated \(DisplayText.terminalSafe(plan.spec.id)): \(Self.summary(plan.outcome))")
      return
    }
    guard let matrix else { return }
    let spec: MatrixSpec
    do {
      spec = try RecipeFiles.matrix(at: matrix)
    } catch {
      CLIFailure.printLines(String(describing: error))
      throw ExitCode(ExitStatus.invalidInput)
    }
    var generated: [JSONValue] = []
    var skipped: [JSONValue] = []
    for recipe in spec.cases {
      do {
        if let refused = spec.refused[recipe.id] { throw refused }
        let plan = try PairPlan(recipe)
        try write(plan, writer: writer)
        generated.append(.string(recipe.id))
      } catch let error as SynthesisError {
        skipped.append(.object(JSONObject([("id", .string(recipe.id)), ("reason", .string(error.description))])))
      }
    }
    try FileSystem.createDirectory(out)
    let index = JSONValue.object(JSONObject([("generated", .array(generated)), ("skipped", .array(skipped))]))
    try AtomicFile.write(text: JSONWriter.pythonSorted.string(index) + "\n", to: FileSystem.join(out, "matrix.json"))
    print("generated \(generated.count) pair(s), skipped \(skipped.count) impossible combination(s); see \(DisplayText.terminalSafe(FileSystem.join(out, "matrix.json")))")
  }

  private func write(_ plan: PairPlan, writer: PairWriter) throws {
    guard Self.isSafeID(plan.spec.id) else {
      CLIFailure.printError("error: case id '\(DisplayText.terminalSafe(plan.spec.id))' is not a relative path of plain names")
      throw ExitCode(ExitStatus.invalidInput)
    }
    let folder = FileSystem.join(out, plan.spec.id)
    if let slash = folder.lastIndex(of: "/") { try FileSystem.createDirectory(String(folder[..<slash])) }
    let formats = format.formats
    if formats.count == 1 {
      try writer.write(plan, to: folder, format: formats[0], seed: seed, sparseBase: sparse, overwrite: overwrite)
    } else {
      try FileSystem.createDirectory(folder)
      for f in formats {
        try writer.write(
          plan, to: FileSystem.join(folder, f.rawValue), format: f, seed: seed, sparseBase: sparse, overwrite: overwrite)
      }
    }
  }

  static func isSafeID(_ id: String) -> Bool {
    let parts = id.split(separator: "/", omittingEmptySubsequences: false)
    return !id.isEmpty && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
  }

  static func summary(_ outcome: DerivedOutcome) -> String {
    var parts: [String] = []
    if let error = outcome.error { parts.append("error \(error.rawValue)") }
    if !outcome.missingKeys.isEmpty { parts.append("\(outcome.missingKeys.count) missing") }
    if !outcome.unexpectedKeys.isEmpty { parts.append("\(outcome.unexpectedKeys.count) unexpected") }
    if !outcome.mismatched.isEmpty { parts.append("\(outcome.mismatched.count) mismatched") }
    if parts.isEmpty { parts.append("clean") }
    if !outcome.diagnostics.isEmpty { parts.append("[\(outcome.diagnostics.map(\.rawValue).joined(separator: ", "))]") }
    return parts.joined(separator: ", ")
  }
}
