import AdapterLoading
import Synthesis
import SystemSupport
import TensorIO

/// The generated matrix (`Corpus/matrix.yaml`): axes of architectures × base mutations × tuners ×
/// adapter mutations, expanded by the Synthesis generator, each combination one case whose
/// expectation comes from the generator's rule table. Combinations the generator cannot build are
/// kept as unbuildable cases (reported SKIP with the reason).
public enum MatrixCases {
  /// The matrix file, relative to the corpus root.
  public static let file = "matrix.yaml"

  /// The matrix's cases (ids `matrix/<architecture>/<base>/<tuner>/<adapter>`), and problems with
  /// the file. No matrix file means no cases.
  /// - Parameter selecting: when given, only the cases whose id it accepts are planned and returned;
  ///   the others' ids are returned as `unplanned` (planning is most of the cost of loading the matrix,
  ///   and a filtered run needs a few of its thousands of cases).
  public static func load(root: String, selecting: (@Sendable (String) -> Bool)? = nil)
    -> (cases: [CaseSpec], unplanned: [String], diagnostics: [LintDiagnostic], hash: String)
  {
    let path = FileSystem.join(root, file)
    guard FileSystem.isFile(path) else { return ([], [], [], "") }
    var sink = LintSink(file: file)
    var hasher = SHA256()
    let node: YAMLNode
    do {
      let bytes = try FileSystem.read(path)
      hasher.update(bytes)
      guard let text = String(validating: bytes, as: UTF8.self) else {
        sink.error(nil, "the file is not valid UTF-8")
        return ([], [], sink.diagnostics, hasher.finalize())
      }
      guard let parsed = try YAMLDocument.parse(text) else {
        sink.error(nil, "the matrix file is empty")
        return ([], [], sink.diagnostics, hasher.finalize())
      }
      node = parsed
    } catch let error as YAMLSyntaxError {
      sink.append(LintDiagnostic(.error, at: SourceLocation(file: file, line: error.line, column: error.column), error.message))
      return ([], [], sink.diagnostics, hasher.finalize())
    } catch {
      sink.error(nil, "\(error)")
      return ([], [], sink.diagnostics, hasher.finalize())
    }
    guard let json = node.jsonValue() else {
      sink.error(node, "the matrix holds a value JSON cannot represent")
      return ([], [], sink.diagnostics, hasher.finalize())
    }
    let matrix: MatrixSpec
    do {
      matrix = try MatrixSpec.decode(json)
    } catch {
      sink.error(node.find(path: error.field) ?? node, "\(error)")
      return ([], [], sink.diagnostics, hasher.finalize())
    }
    var selected: [PairSpec] = []
    var unplanned: [String] = []
    for entry in matrix.cases {
      guard let selecting else {
        selected.append(entry)
        continue
      }
      let id = caseID(entry)
      if selecting(id) { selected.append(entry) } else { unplanned.append(id) }
    }
    // Planning each combination (the rule table) is independent work: spread it over the cores, a row's
    // combinations together (each adapter mutation of a tuner saves the same adapter on the same base:
    // taken one by one, two cores made that save at once).
    let refused = matrix.refused
    let cases = selected.concurrentMap(chunk: 16) { spec($0, refused: refused[$0.id]) }
    return (cases, unplanned, sink.diagnostics, hasher.finalize())
  }

  /// The case id of an expanded combination: `matrix/` + its coordinates, lower case, other
  /// characters than letters, digits and `._-/` replaced by `-`.
  static func caseID(_ combination: PairSpec) -> String {
    let lowered = combination.id.lowercased()
    // Printable ASCII (one byte, one character) is mapped byte by byte: a string made per character was
    // a thirtieth of planning the corpus and matrix (`perf record` of `run --list`).
    if lowered.utf8.allSatisfy({ (0x20..<0x7F).contains($0) }) {
      let bytes = lowered.utf8.map { byte -> UInt8 in
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."),
          UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "/"):
          byte
        default: UInt8(ascii: "-")
        }
      }
      return "matrix/" + String(decoding: bytes, as: UTF8.self)
    }
    var id = "matrix/"
    for character in lowered {
      id.append(character.isLetter || character.isNumber || "._-/".contains(character) ? character : "-")
    }
    return id
  }

  /// One expanded combination as a case: its recipe and the rule table's expectation.
  static func spec(_ combination: PairSpec, refused: SynthesisError? = nil) -> CaseSpec {
    let axes = combination.id.split(separator: "/").map(String.init)
    var recipe = combination
    recipe.id = caseID(combination)
    var spec = CaseSpec(id: recipe.id, refs: ["Corpus/matrix.yaml"], recipe: recipe, expect: ExpectedOutcome(), source: file)
    spec.matrixCoordinates = coordinates(axes, tuner: recipe.adapter.peftType)
    do {
      if let refused { throw refused }
      let plan = try PairPlan(recipe)
      spec.plan = plan
      spec.expect = expectation(plan.outcome, ignoreMismatchedSizes: recipe.load.ignoreMismatchedSizes)
      let reasons = plan.outcome.reasons.isEmpty ? "nothing changes what the loader sees" : plan.outcome.reasons.joined(separator: "; ")
      spec.description =
        "Generated: \(recipe.adapter.peftType) adapter trained on a \(recipe.base.family.rawValue) base, "
        + "base mutations [\(recipe.baseMutations.map(\.description).joined(separator: ", "))], adapter mutations "
        + "[\(recipe.adapterMutations.map(\.description).joined(separator: ", "))]. Rule table: \(reasons)."
    } catch {
      spec.unbuildable = "\(error)"
      spec.description = "Generated combination the generator cannot build."
    }
    return spec
  }

  private static func coordinates(_ axes: [String], tuner: String) -> CaseCoordinates? {
    guard axes.count == 4 else { return nil }
    return CaseCoordinates(architecture: axes[0], mutation: "\(axes[1]) · \(axes[3])", tuner: tuner)
  }

  /// The rule table's outcome as a case expectation (only what it determines).
  static func expectation(_ outcome: DerivedOutcome, ignoreMismatchedSizes: Bool) -> ExpectedOutcome {
    var expect = ExpectedOutcome()
    if let error = outcome.error {
      expect.error = .error(ExpectedError(kind: ErrorKind(error.rawValue)))
    } else {
      expect.error = ErrorExpectation.none
      expect.missingKeys = .exactly(outcome.missingKeys)
      expect.unexpectedKeys = .exactly(outcome.unexpectedKeys)
      if ignoreMismatchedSizes { expect.mismatchedKeys = .exactly(outcome.mismatched.map(\.key)) }
    }
    if !outcome.diagnostics.isEmpty {
      expect.diagnostics = .constrained(includes: outcome.diagnostics.map(\.rawValue), excludes: [])
    }
    return expect
  }

  /// Where a written expectation contradicts the rule table's, field by field (only fields the
  /// author wrote).
  static func disagreements(_ written: ExpectedOutcome, _ derived: DerivedOutcome, ignoreMismatchedSizes: Bool) -> [String] {
    let ruled = expectation(derived, ignoreMismatchedSizes: ignoreMismatchedSizes)
    var found: [String] = []
    switch (written.error, ruled.error) {
    case (.none?, .error(let e)?): found.append("it derives error \(e.kind), the case expects success")
    case (.error(let w)?, .none?): found.append("it derives success, the case expects error \(w.kind)")
    case (.error(let w)?, .error(let e)?) where w.kind != e.kind:
      found.append("it derives error \(e.kind), the case expects \(w.kind)")
    default: break
    }
    guard ruled.error == ErrorExpectation.none else { return found }
    func compare(_ name: String, _ mine: SetExpectation?, _ theirs: SetExpectation?) {
      guard let mine, let theirs, case .exactly(let keys) = theirs else { return }
      let (absent, unwanted) = mine.check(keys)
      if !absent.isEmpty || !unwanted.isEmpty {
        found.append("\(name): it derives [\(OutcomeCheck.list(keys))]")
      }
    }
    compare("missing_keys", written.missingKeys, ruled.missingKeys)
    compare("unexpected_keys", written.unexpectedKeys, ruled.unexpectedKeys)
    compare("mismatched_keys", written.mismatchedKeys, ruled.mismatchedKeys)
    return found
  }
}

extension YAMLNode {
  /// The node at a dotted field path (`tuners.lora.config`, `base_mutations.vocab-up[0]`), as far
  /// as it can be followed.
  func find(path: String) -> YAMLNode? {
    var node = self
    var found: YAMLNode? = self
    for part in path.split(separator: ".") {
      var name = Substring(part)
      var indices: [Int] = []
      while let open = name.lastIndex(of: "["), name.hasSuffix("]"), let i = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) {
        indices.insert(i, at: 0)
        name = name[..<open]
      }
      if !name.isEmpty {
        guard let next = node.mapping?.first(where: { $0.key.scalarText == String(name) })?.value else { return found }
        node = next
        found = next
      }
      for i in indices {
        guard let items = node.sequence, items.indices.contains(i) else { return found }
        node = items[i]
        found = node
      }
    }
    return found
  }
}
