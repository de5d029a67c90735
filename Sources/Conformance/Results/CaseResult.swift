import Synthesis
import TensorIO

/// Where a case sits in the matrix architecture × mutation × tuner (× format), for grouping in
/// reports.
public struct CaseCoordinates: Sendable, Hashable {
  public var architecture: String?
  /// The mutations applied, as one label (`resize_vocab`, `resize_vocab+drop_keys`, `none`).
  public var mutation: String?
  public var tuner: String?

  public init(architecture: String? = nil, mutation: String? = nil, tuner: String? = nil) {
    self.architecture = architecture
    self.mutation = mutation
    self.tuner = tuner
  }
}

extension CaseSpec {
  /// The case's place in the report matrix.
  public var coordinates: CaseCoordinates {
    if let matrixCoordinates { return matrixCoordinates }
    let names = (recipe?.baseMutations.map(\.name) ?? []) + (recipe?.adapterMutations.map(\.name) ?? [])
    let mutation = malformed != nil ? "malformed" : names.isEmpty ? "none" : names.joined(separator: "+")
    return CaseCoordinates(architecture: architecture, mutation: mutation, tuner: tuners[0])
  }
}

/// The expectation-file entry that applied to a result.
public struct ExpectationNote: Sendable, Hashable {
  public var status: LoaderExpectations.Entry.Status
  public var reason: String
  public var ref: String
  /// Where the entry is written (`expectations/peft.yaml:12`, relative to the corpus root); empty
  /// when unknown. An XFAIL or XPASS names it so its author finds the entry that made it expected.
  public var at: String

  public init(status: LoaderExpectations.Entry.Status, reason: String, ref: String, at: String = "") {
    self.status = status
    self.reason = reason
    self.ref = ref
    self.at = at
  }

  /// `reason (ref) at file:line`, for reports.
  public var summary: String { "\(reason) (\(ref))" + (at.isEmpty ? "" : " at \(at)") }
}

/// One case run by one loader.
public struct CaseResult: Sendable, Hashable {
  /// The loader id (`recommended`, `peft@0.21.2`).
  public var loader: String
  public var id: String
  public var format: CheckpointFormat?
  public var status: CaseStatus
  /// The case's `expect` block, as JSON in the corpus's vocabulary.
  public var expected: JSONValue?
  /// What the loader reported, as JSON in the driver protocol's vocabulary; `nil` when it did not run.
  public var actual: JSONValue?
  /// Why the status is what it is: discrepancies, the error, the skip reason. Empty for a plain pass.
  public var message: String
  /// The expectation-file entry that applied, if any.
  public var expectation: ExpectationNote?
  public var coordinates: CaseCoordinates
  /// The case's description, for people reading a report.
  public var description: String
  /// Seconds the loader took to answer, in milliseconds' precision (`nil`: not measured, or the
  /// loader was not asked). Kept for junit.xml's per-case times; a baseline leaves it out.
  public var seconds: Double?

  public init(
    loader: String, id: String, format: CheckpointFormat?, status: CaseStatus, expected: JSONValue? = nil,
    actual: JSONValue? = nil, message: String = "", expectation: ExpectationNote? = nil,
    coordinates: CaseCoordinates = CaseCoordinates(), description: String = "", seconds: Double? = nil
  ) {
    self.seconds = seconds.map { ($0 * 1000).rounded() / 1000 }
    self.loader = loader
    self.id = id
    self.format = format
    self.status = status
    self.expected = expected?.canonical()
    self.actual = actual?.canonical()
    self.message = message
    self.expectation = expectation
    self.coordinates = coordinates
    self.description = description
  }

  /// Identifies the result across runs: loader, case id and format.
  public var key: ResultKey { ResultKey(loader: loader, id: id, format: format?.rawValue ?? "") }

  /// `id [format]`, for lists and test names.
  public var displayName: String { format.map { "\(id) [\($0.rawValue)]" } ?? id }
}

/// Loader, case id and format: what makes a result unique in a run.
public struct ResultKey: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var loader: String
  public var id: String
  public var format: String

  public init(loader: String, id: String, format: String) {
    self.loader = loader
    self.id = id
    self.format = format
  }

  /// By loader, then case id, then format, each by UTF-8 bytes. (Without an array of the pairs: a run's
  /// results are sorted by key, and allocating one per comparison was most of sorting them.)
  public static func < (lhs: ResultKey, rhs: ResultKey) -> Bool {
    if lhs.loader != rhs.loader { return ByteSearch.precedes(lhs.loader, rhs.loader) }
    if lhs.id != rhs.id { return ByteSearch.precedes(lhs.id, rhs.id) }
    return ByteSearch.precedes(lhs.format, rhs.format)
  }

  public var description: String { format.isEmpty ? "\(loader): \(id)" : "\(loader): \(id) [\(format)]" }
}

extension Array where Element == CaseResult {
  /// The results in key order (``ResultKey``). A run's results come case run by case run, each with every
  /// loader's, and its case runs in id and format order (`RunPlan.runs`): each loader's results are taken
  /// in turn and sorted only if out of order. A sort of all 40,257 keys of a default run took 40 ms on one
  /// core, after every case had answered, and `RunResults` sorted them again (`perf record` of the run).
  func sortedByKey() -> [CaseResult] {
    let keys = map(\.key)
    func inOrder(_ positions: some Collection<Int>) -> Bool {
      zip(positions, positions.dropFirst()).allSatisfy { !(keys[$1] < keys[$0]) }
    }
    if inOrder(indices) { return self }
    var byLoader: [String: [Int]] = [:]
    for i in indices { byLoader[self[i].loader, default: []].append(i) }
    var order: [Int] = []
    order.reserveCapacity(count)
    for loader in byLoader.keys.sorted(by: ByteSearch.precedes) {
      var positions = byLoader[loader] ?? []
      if !inOrder(positions) { positions.sort { keys[$0] < keys[$1] } }
      order += positions
    }
    return order.map { self[$0] }
  }
}

extension JSONValue {
  /// The same value with every object's members sorted by key, so that equal documents compare
  /// equal however they were written or read.
  func canonical() -> JSONValue {
    switch self {
    case .array(let items): return .array(items.map { $0.canonical() })
    case .object(let object):
      let sorted = object.members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
      return .object(JSONObject(sorted.map { ($0.key, $0.value.canonical()) }))
    default: return self
    }
  }
}
