import AdapterLoading
import Synthesis
import TensorIO

/// One conformance case: what is built and loaded (a generator recipe, or folders made elsewhere),
/// and what a *correct* loader reports. Decoded from one `Corpus/cases/**.yaml` file, expanded from
/// the matrix, or read from an architecture-sweep manifest.
public struct CaseSpec: Sendable, Identifiable {
  /// What the loaders are given.
  public enum Subject: Sendable {
    /// A pair the Synthesis generator builds: base, mutations, adapter, how it is loaded, formats.
    case recipe(PairSpec)
    /// Folders already on disk (the architecture sweep's manifest), described by what a loader's
    /// capabilities and the reports need.
    case folders(architecture: String, tuner: String, load: LoadSetup)
  }

  /// Unique id; equals the file's path under `Corpus/cases/` without `.yaml`.
  public var id: String
  /// What the case checks, in a sentence or two.
  public var description: String
  /// Where the behaviour comes from: `peft#1932`, `peft-semantics§6.11`, a URL.
  public var refs: [String]
  public var subject: Subject
  /// A hand-made broken file that replaces a generated one (malformed-input cases).
  public var malformed: MalformedInput?
  /// What a correct loader reports. Only what is written is asserted.
  public var expect: ExpectedOutcome
  /// The file the case came from, relative to the corpus root.
  public var source: String
  /// For generated cases: their place in the matrix (named axis values), instead of one derived
  /// from the mutations.
  public var matrixCoordinates: CaseCoordinates?
  /// Set when the generator cannot build the case (an impossible combination of the matrix): it
  /// is reported SKIP with this reason and never run.
  public var unbuildable: String?
  /// The generator's plan, made once when the corpus is read (the lint needs it); the runner writes
  /// this plan rather than planning the case again.
  public var plan: PairPlan? {
    get { planStorage?.plan }
    set { planStorage = newValue.map(PlanStorage.init) }
  }
  /// The plan held by reference: a case is copied into each of its runs and by every sort, and with the plan
  /// inline each copy retained and released its dozens of fields (a twentieth of planning the corpus and
  /// matrix, `perf record` of `run --list`).
  private var planStorage: PlanStorage?

  public init(
    id: String, description: String = "", refs: [String] = [], subject: Subject, malformed: MalformedInput? = nil,
    expect: ExpectedOutcome, source: String = ""
  ) {
    self.id = id
    self.description = description
    self.refs = refs
    self.subject = subject
    self.malformed = malformed
    self.expect = expect
    self.source = source
  }

  /// A case the generator builds from `recipe`.
  public init(
    id: String, description: String = "", refs: [String] = [], recipe: PairSpec, malformed: MalformedInput? = nil,
    expect: ExpectedOutcome, source: String = ""
  ) {
    self.init(
      id: id, description: description, refs: refs, subject: .recipe(recipe), malformed: malformed, expect: expect,
      source: source)
  }

  /// The generator's recipe, for a case it builds.
  public var recipe: PairSpec? {
    if case .recipe(let recipe) = subject { recipe } else { nil }
  }

  /// How the adapter is loaded.
  public var load: LoadSetup {
    switch subject {
    case .recipe(let recipe): recipe.load
    case .folders(_, _, let load): load
    }
  }

  /// Formats the case runs in; each format is a separate run of the case.
  public var formats: [CheckpointFormat] { recipe?.formats ?? [.safetensors] }

  /// The architecture the adapter was trained on (a catalog family or a sweep's `model_type`).
  public var architecture: String {
    switch subject {
    case .recipe(let recipe): recipe.base.family.rawValue
    case .folders(let architecture, _, _): architecture
    }
  }

  /// Every PEFT method the load involves: the adapter's, then those of the adapters loaded before it.
  public var tuners: [String] {
    switch subject {
    case .recipe(let recipe): [recipe.adapter.peftType] + recipe.loaded.compactMap(\.adapter?.peftType)
    case .folders(_, let tuner, _): [tuner]
    }
  }
}

/// A hand-made broken file under `Corpus/malformed/` that takes the place of a generated weights
/// file (wast's `assert_malformed`).
public struct MalformedInput: Sendable, Hashable {
  /// Which generated weights file the malformed one replaces.
  public enum Role: String, Sendable, Hashable, CaseIterable {
    case adapter
    case base
  }

  /// Path relative to `Corpus/malformed/`.
  public var file: String
  public var replaces: Role

  public init(file: String, replaces: Role = .adapter) {
    self.file = file
    self.replaces = replaces
  }

  /// The format the file's extension names.
  public var format: CheckpointFormat? {
    if file.hasSuffix(".safetensors") { return .safetensors }
    if file.hasSuffix(".h5") || file.hasSuffix(".hdf5") { return .hdf5 }
    return nil
  }
}

extension [CaseSpec] {
  /// The cases by id in UTF-8 byte order, equal ids in their order here; the array itself when already in that
  /// order (a loaded corpus is). Indices are sorted rather than the cases moved: a run plans thousands.
  func sortedByID() -> [CaseSpec] {
    // The ids taken out once: a case is a large value, and comparing `self[a].id` copied both cases
    // (a retain and a release of each of their fields) at every comparison (`perf record` of the planning).
    let ids = map(\.id)
    if zip(ids, ids.dropFirst()).allSatisfy({ !ByteSearch.precedes($1, $0) }) { return self }
    return ids.indices.sorted { a, b in
      ByteSearch.precedes(ids[a], ids[b]) || (ids[a] == ids[b] && a < b)
    }.map { self[$0] }
  }
}

/// A plan shared, unchanged, by the copies of its case.
private final class PlanStorage: Sendable {
  let plan: PairPlan
  init(_ plan: PairPlan) { self.plan = plan }
}
