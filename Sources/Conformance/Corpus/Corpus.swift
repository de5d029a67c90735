import Synthesis
import SystemSupport
import TensorIO

/// The hand-written corpus: every case under `cases/`, every loader expectation file under
/// `expectations/`, and the hand-made broken files under `malformed/`.
///
/// ```
/// Corpus/
///   cases/<family>/<name>.yaml      one case per file; id = path without .yaml
///   expectations/<loader>.yaml      xfail/skip entries per loader
///   malformed/<format>/<file>       broken weights files named by cases
/// ```
public struct Corpus: Sendable {
  /// The corpus folder.
  public var root: String
  /// Valid cases, sorted by id.
  public var cases: [CaseSpec]
  /// Valid expectation files by loader name.
  public var expectations: [String: LoaderExpectations]
  /// Every problem found, sorted by location. Cases and files with errors are left out above.
  public var diagnostics: [LintDiagnostic]
  /// SHA-256 over every corpus file's relative path and bytes, in path order: identifies the
  /// corpus a report was made from.
  public var hash: String
  /// Ids of the matrix cases a ``MatrixSelection/only(_:)`` load left out (not planned, not in
  /// ``cases``).
  public var unplannedMatrixCaseIDs: [String] = []

  /// Whether any diagnostic is an error.
  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

  /// The expectations that apply to a loader id (`peft@0.21.2` falls back to `peft`).
  /// The expectations for a loader: the entries of every file that applies to it, the most
  /// specific first (`peft@0.14.0`, `peft@0.14`, `peft-0.14`, `peft`), so a version's file only lists
  /// what sets that version apart and the first matching entry still wins.
  public func expectations(forLoader id: String) -> LoaderExpectations {
    LoaderExpectations.resolve(id, in: expectations)
  }

  /// Reads and lints a corpus folder.
  /// - Parameters:
  ///   - root: the corpus folder (holding `cases/`).
  ///   - vocabulary: the names cases may use.
  ///   - extraCaseIDs: ids of cases from elsewhere, so that expectation entries for them are not
  ///     flagged as stale.
  ///   - matrix: which cases of `matrix.yaml` (the generated cases, ids `matrix/…`) to expand.
  /// - Throws: ``FileError`` when the folder cannot be read at all.
  public static func load(
    root: String, vocabulary: CaseVocabulary = .standard, extraCaseIDs: [String] = [], matrix: MatrixSelection = .all
  ) throws(FileError) -> Corpus {
    var diagnostics: [LintDiagnostic] = []
    var hasher = SHA256()
    let casesRoot = FileSystem.join(root, "cases")
    guard FileSystem.kind(of: casesRoot) == .directory else {
      throw FileError(operation: "open corpus cases folder", path: casesRoot, errno: 2)
    }
    let malformedRoot = FileSystem.join(root, "malformed")
    let decoder = CaseDecoder(vocabulary: vocabulary) { path in FileSystem.isFile(FileSystem.join(malformedRoot, path)) }

    var cases: [CaseSpec] = []
    var firstFile: [String: String] = [:]
    var caseFiles: [(relative: String, bytes: [UInt8])] = []
    for relative in try files(under: casesRoot) {
      let bytes = try FileSystem.read(FileSystem.join(casesRoot, relative))
      hash("cases/" + relative, bytes, into: &hasher)
      caseFiles.append((relative, bytes))
    }
    // Each file's lint (its plan: the rule table's work) is independent of the others'.
    let linted = caseFiles.concurrentMap { lintCase(relative: $0.relative, bytes: $0.bytes, decoder: decoder) }
    for ((relative, _), (decoded, found)) in zip(caseFiles, linted) {
      let file = "cases/" + relative
      diagnostics += found
      guard let spec = decoded else { continue }
      if let other = firstFile[spec.id] {
        diagnostics.append(
          LintDiagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), "case id '\(spec.id)' is also used by \(other)"))
        continue
      }
      firstFile[spec.id] = file
      cases.append(spec)
    }
    // The generated malformed corpora's manifests add one case per rejected file.
    let (derived, manifestProblems) = MalformedManifests.cases(root: root, vocabulary: vocabulary)
    diagnostics += manifestProblems
    for spec in derived {
      if let other = firstFile[spec.id] {
        diagnostics.append(
          LintDiagnostic(.error, at: SourceLocation(file: other, line: 1, column: 1), "case id '\(spec.id)' is also derived from \(spec.source)"))
        continue
      }
      firstFile[spec.id] = spec.source
      cases.append(spec)
    }
    var unplanned: [String] = []
    let expanded: (cases: [CaseSpec], unplanned: [String], diagnostics: [LintDiagnostic], hash: String)? =
      switch matrix {
      case .none: nil
      case .all: MatrixCases.load(root: root)
      case .only(let predicate): MatrixCases.load(root: root, selecting: predicate)
      }
    if let matrix = expanded {
      diagnostics += matrix.diagnostics
      if !matrix.hash.isEmpty {
        hasher.update(MatrixCases.file)
        hasher.update([0])
        hasher.update(matrix.hash)
      }
      cases += matrix.cases
      unplanned = matrix.unplanned
    }
    // Sorted on another core while the expectation files are linted against the ids (which need no order):
    // one after the other, both used one core at the end of the planning (`perf record` of `run --list`).
    let sorting = InBackground { [cases] in cases.sortedByID() }

    var expectations: [String: LoaderExpectations] = [:]
    let expectationsRoot = FileSystem.join(root, "expectations")
    if FileSystem.kind(of: expectationsRoot) == .directory {
      let index = CaseIDIndex(cases.map(\.id) + unplanned + extraCaseIDs)
      var expectationFiles: [(relative: String, bytes: [UInt8])] = []
      for relative in try files(under: expectationsRoot) {
        let bytes = try FileSystem.read(FileSystem.join(expectationsRoot, relative))
        hash("expectations/" + relative, bytes, into: &hasher)
        expectationFiles.append((relative, bytes))
      }
      // Each file's entries are checked against every case id they can match: independent work per file.
      let decodedFiles = expectationFiles.concurrentMap { lintExpectations(relative: $0.relative, bytes: $0.bytes, index: index) }
      for (decoded, found) in decodedFiles {
        diagnostics += found
        if let decoded { expectations[decoded.loader] = decoded }
      }
    }
    if FileSystem.kind(of: malformedRoot) == .directory {
      for relative in try files(under: malformedRoot) {
        hash("malformed/" + relative, try FileSystem.read(FileSystem.join(malformedRoot, relative)), into: &hasher)
      }
    }
    cases = sorting.value
    return Corpus(
      root: root, cases: cases, expectations: expectations, diagnostics: diagnostics.sorted(),
      hash: hasher.finalize(), unplannedMatrixCaseIDs: unplanned)
  }

  /// Decodes and lints one case file (`relative` to `cases/`): its syntax and vocabulary, its id against
  /// its place, and whether the generator can build it (the plan is kept with the case).
  static func lintCase(relative: String, bytes: [UInt8], decoder: CaseDecoder) -> (CaseSpec?, [LintDiagnostic]) {
    let file = "cases/" + relative
    var diagnostics: [LintDiagnostic] = []
    guard relative.hasSuffix(".yaml") else {
      diagnostics.append(
        LintDiagnostic(.error, at: SourceLocation(file: file), "not a case file", expected: "a .yaml file"))
      return (nil, diagnostics)
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      diagnostics.append(LintDiagnostic(.error, at: SourceLocation(file: file), "the file is not valid UTF-8"))
      return (nil, diagnostics)
    }
    let expectedID = String(relative.dropLast(".yaml".count))
    let (decoded, found, tree) = decoder.decodeTree(text, file: file, expectedID: expectedID)
    diagnostics += found
    guard var spec = decoded else { return (nil, diagnostics) }
    // The generator must be able to build the case: a mutation that cannot apply is an error in
    // the case file, reported at the field that asked for it.
    do {
      let plan = try SynthesisMaterializer.plan(spec)
      spec.plan = plan
      // The author's expectation is the spec; where the generator's rule table derives something
      // else for the same pair, one of the two is wrong, which is worth a look.
      // (The rule table knows nothing of malformed files put in place afterwards.)
      let disagreements =
        spec.malformed != nil
        ? [] : MatrixCases.disagreements(spec.expect, plan.outcome, ignoreMismatchedSizes: spec.load.ignoreMismatchedSizes)
      for disagreement in disagreements {
        let node = tree?.find(path: "expect")
        diagnostics.append(
          LintDiagnostic(
            .warning, at: SourceLocation(file: file, line: node?.line ?? 1, column: node?.column ?? 1),
            "the generator's rule table disagrees: \(disagreement)"))
      }
    } catch {
      let node = tree?.find(path: error.field)
      diagnostics.append(
        LintDiagnostic(
          .error, at: SourceLocation(file: file, line: node?.line ?? 1, column: node?.column ?? 1),
          "the generator cannot build this case: \(error)", expected: configFieldSuggestion(error.field, spec: spec)))
      return (nil, diagnostics)
    }
    if let todo = placeholderDescription(spec.description) {
      let node = tree?.find(path: "description")
      diagnostics.append(
        LintDiagnostic(
          .warning, at: SourceLocation(file: file, line: node?.line ?? 1, column: node?.column ?? 1),
          "the description is still a placeholder ('\(todo)')", expected: "a sentence saying what the case checks"))
    }
    return (spec, diagnostics)
  }

  /// Decodes and lints one expectation file (`relative` to `expectations/`), its entries checked against
  /// the case ids of `index`.
  static func lintExpectations(relative: String, bytes: [UInt8], index: CaseIDIndex) -> (LoaderExpectations?, [LintDiagnostic]) {
    let file = "expectations/" + relative
    guard relative.hasSuffix(".yaml"), !relative.contains("/") else {
      return (nil, [LintDiagnostic(.error, at: SourceLocation(file: file), "not an expectation file", expected: "<loader>.yaml directly in expectations/")])
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      return (nil, [LintDiagnostic(.error, at: SourceLocation(file: file), "the file is not valid UTF-8")])
    }
    let loader = String(relative.dropLast(".yaml".count))
    if let problem = unknownLoader(loader) {
      // `pfet.yaml` would otherwise pass lint and silently apply to nothing.
      return (nil, [LintDiagnostic(.error, at: SourceLocation(file: file), problem.message, expected: problem.expected)])
    }
    return LoaderExpectationsDecoder.decode(text, file: file, loader: loader, index: index)
  }

  /// Lints the given case files alone (paths to `.yaml` files under `root/cases/`), without reading the
  /// rest of the corpus or expanding the matrix: what an author runs on the file being written.
  /// - Throws: ``FileError`` when a file cannot be read.
  public static func lint(caseFiles paths: [String], root: String, vocabulary: CaseVocabulary = .standard)
    throws(FileError) -> (cases: [CaseSpec], diagnostics: [LintDiagnostic])
  {
    let casesRoot = FileSystem.join(root, "cases")
    let malformedRoot = FileSystem.join(root, "malformed")
    let decoder = CaseDecoder(vocabulary: vocabulary) { path in FileSystem.isFile(FileSystem.join(malformedRoot, path)) }
    var cases: [CaseSpec] = []
    var diagnostics: [LintDiagnostic] = []
    for path in paths {
      let bytes = try FileSystem.read(path)
      guard let relative = relativePath(path, under: casesRoot) else {
        diagnostics.append(
          LintDiagnostic(
            .error, at: SourceLocation(file: path), "not under the corpus's cases folder",
            expected: "a file under \(casesRoot)"))
        continue
      }
      let (spec, found) = lintCase(relative: relative, bytes: bytes, decoder: decoder)
      diagnostics += found
      if let spec { cases.append(spec) }
    }
    return (cases, diagnostics.sorted())
  }

  /// `path` relative to `folder`, when it lies inside it (as given, or both resolved).
  static func relativePath(_ path: String, under folder: String) -> String? {
    for (p, f) in [(path, folder), (FileSystem.resolved(path) ?? path, FileSystem.resolved(folder) ?? folder)] {
      let prefix = f.hasSuffix("/") ? f : f + "/"
      if p.hasPrefix(prefix) { return String(p.dropFirst(prefix.count)) }
    }
    return nil
  }

  static func hash(_ file: String, _ bytes: [UInt8], into hasher: inout SHA256) {
    hasher.update(file)
    hasher.update([0])
    hasher.update(String(bytes.count))
    hasher.update([0])
    hasher.update(bytes)
  }

  /// For an adapter config field the tuner's config class does not declare (`lora_alhpa`), the
  /// field of PEFT's config class that was probably meant.
  static func configFieldSuggestion(_ field: String, spec: CaseSpec) -> String? {
    let prefix = "adapter.config."
    guard field.hasPrefix(prefix), let tuner = spec.recipe?.adapter.peftType, let defaults = PEFTConfigDefaults.defaults(for: tuner) else { return nil }
    let known = defaults.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    return Suggestions.closest(to: String(field.dropFirst(prefix.count)), in: known).map { "'\($0)' (did you mean it?)" }
  }

  /// The placeholder word a description starts with (`TODO`, `FIXME`, `TBD`, `XXX`), if any.
  static func placeholderDescription(_ text: String) -> String? {
    let trimmed = text.drop { $0.isWhitespace }
    for word in ["TODO", "FIXME", "TBD", "XXX"] where trimmed.uppercased().hasPrefix(word) {
      let rest = trimmed.dropFirst(word.count)
      if rest.first.map({ !$0.isLetter }) ?? true { return String(trimmed.prefix(40)) }
    }
    return nil
  }

  /// Why an expectation file's loader id names no loader: not a built-in profile, not a family of
  /// them (`transformers` for `transformers@5.24`, whose files apply to every release line), not
  /// `NAME@VERSION` (a driver), not `cmd:…`.
  static func unknownLoader(_ id: String) -> (message: String, expected: String)? {
    if BuiltinLoaders.names.contains(id) || DriverLocator.isDriver(id) { return nil }
    if BuiltinLoaders.accepted.contains(where: { $0.hasPrefix(id + "@") }) { return nil }
    return (
      "no loader is called '\(id)'",
      Suggestions.expected(id, among: BuiltinLoaders.names, noun: "a built-in profile") + ", or NAME@VERSION for a driver"
    )
  }

  /// Regular files under `folder`, as sorted relative paths; hidden files are skipped.
  static func files(under folder: String) throws(FileError) -> [String] {
    var result: [String] = []
    for name in try FileSystem.contents(ofDirectory: folder) where !name.hasPrefix(".") {
      let path = FileSystem.join(folder, name)
      switch FileSystem.kind(of: path) {
      case .directory: result += try files(under: path).map { name + "/" + $0 }
      case .file: result.append(name)
      default: continue
      }
    }
    return result.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }
}
