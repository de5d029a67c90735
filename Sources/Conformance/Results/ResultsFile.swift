import AdapterLoading
import TensorIO

/// `results.json`: a run in the spirit of wptreport — `run_info`, per-loader totals, then one entry
/// per loader × case × format. Written with sorted keys and sorted results, so two runs of the same
/// inputs differ only in `run_info.timestamp` and each result's `time` (seconds the loader took).
public enum ResultsFile {
  /// Identifies the document type.
  public static let formatName = "adaptest-results"
  public static let formatVersion = 1

  /// The document's text: keys sorted, two-space indent, except that each result is one compact
  /// line (so that a version-controlled baseline diffs line by line); ends with a newline.
  public static func encode(_ run: RunResults) -> String {
    guard case .object(let document) = json(run) else { return "" }
    let pretty = JSONWriter(indent: 2, sortKeys: true)
    let line = JSONWriter(indent: nil, sortKeys: true)
    let members = document.members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    var out = "{"
    for (i, member) in members.enumerated() {
      out += i == 0 ? "\n  " : ",\n  "
      JSONWriter.writeString(member.key, into: &out)
      out += ": "
      if member.key == "results", let results = member.value.arrayValue, !results.isEmpty {
        out += "["
        for (j, result) in results.enumerated() { out += (j == 0 ? "\n    " : ",\n    ") + line.string(result) }
        out += "\n  ]"
      } else {
        // Nested values are indented one level deeper than the writer's own output.
        let text = pretty.string(member.value)
        var first = true
        for piece in text.split(separator: "\n", omittingEmptySubsequences: false) {
          out += first ? String(piece) : "\n  " + piece
          first = false
        }
      }
    }
    return out + "\n}\n"
  }

  static func json(_ run: RunResults) -> JSONValue {
    var info = JSONObject()
    info["tool"] = .string("adaptest")
    info["tool_version"] = .string(run.info.toolVersion)
    info["corpus_hash"] = .string(run.info.corpusHash)
    info["timestamp"] = .string(run.info.timestamp)
    info["filter"] = run.info.filter.map(JSONValue.string) ?? .null
    info["shards"] = .strings(run.info.shards)
    info["loaders"] = .array(run.info.loaders.map(encodeLoader))

    var totals = JSONObject()
    for loader in run.loaderIDs {
      let counts = run.counts(loader: loader)
      totals[loader] = .object(JSONObject(CaseStatus.allCases.map { ($0.rawValue, JSONValue.int(counts[$0] ?? 0)) }))
    }

    var document = JSONObject()
    document["format"] = .string(formatName)
    document["format_version"] = .int(formatVersion)
    document["run_info"] = .object(info)
    document["totals"] = .object(totals)
    document["results"] = .array(run.results.map(encodeResult))
    return .object(document)
  }

  private static func encodeLoader(_ loader: LoaderInfo) -> JSONValue {
    var object = JSONObject()
    object["id"] = .string(loader.id)
    object["name"] = .string(loader.name)
    object["version"] = .string(loader.version)
    object["versions"] = .object(JSONObject(loader.versions.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
    let caps = loader.capabilities
    var capabilities = JSONObject()
    capabilities["formats"] = .strings(caps.formats.map(\.rawValue).sortedUTF8())
    capabilities["tuners"] = caps.tuners.map { .strings(Array($0).sortedUTF8()) } ?? .null
    capabilities["methods"] = .strings(caps.methods.map(\.rawValue).sortedUTF8())
    capabilities["reports"] = .strings(caps.reports.sorted().map(\.rawValue))
    if caps.keyNaming != .peftModel { capabilities["key_naming"] = .string(caps.keyNaming.rawValue) }
    object["capabilities"] = .object(capabilities)
    return .object(object)
  }

  /// One result; empty fields are left out (a pass is little more than its key and status).
  private static func encodeResult(_ result: CaseResult) -> JSONValue {
    var object = JSONObject()
    object["loader"] = .string(result.loader)
    object["id"] = .string(result.id)
    object["format"] = result.format.map { .string($0.rawValue) } ?? .null
    object["status"] = .string(result.status.rawValue)
    if let expected = result.expected { object["expected"] = expected }
    if let actual = result.actual { object["actual"] = actual }
    if !result.message.isEmpty { object["message"] = .string(result.message) }
    if !result.description.isEmpty { object["description"] = .string(result.description) }
    if let note = result.expectation {
      object["expectation"] = .object(
        JSONObject(
          [("status", .string(note.status.rawValue)), ("reason", .string(note.reason)), ("ref", .string(note.ref))]
            + (note.at.isEmpty ? [] : [("at", JSONValue.string(note.at))])))
    }
    if let architecture = result.coordinates.architecture { object["architecture"] = .string(architecture) }
    if let mutation = result.coordinates.mutation { object["mutation"] = .string(mutation) }
    if let tuner = result.coordinates.tuner { object["tuner"] = .string(tuner) }
    if let seconds = result.seconds { object["time"] = .number(JUnitReport.secondsText(seconds)) }
    return .object(object)
  }

  // MARK: Decoding

  /// Reads a results document.
  /// - Throws: ``JSONShapeError`` for a document that is not JSON or not a results file.
  public static func decode(_ bytes: [UInt8]) throws(JSONShapeError) -> RunResults {
    let root: JSONValue
    do {
      root = try JSONValue.parse(bytes, duplicateKeys: .reject)
    } catch {
      throw JSONShapeError(path: "", "not valid JSON: \(error)")
    }
    let document = try JSONFields(root, path: "")
    guard try document.string("format") == formatName else {
      throw JSONShapeError(path: "format", "not an adaptest results file")
    }
    guard try document.value("format_version").intValue == formatVersion else {
      throw JSONShapeError(path: "format_version", "unsupported version (this tool reads \(formatVersion))")
    }
    let info = try JSONFields(try document.value("run_info"), path: "run_info")
    var loaders: [LoaderInfo] = []
    for (i, item) in try info.objects("loaders").enumerated() { loaders.append(try decodeLoader(item, path: "run_info.loaders[\(i)]")) }
    let runInfo = RunInfo(
      toolVersion: try info.string("tool_version"), corpusHash: try info.string("corpus_hash"),
      timestamp: try info.string("timestamp"), loaders: loaders, filter: try info.optionalString("filter"),
      shards: try info.strings("shards", default: []))
    let items = try document.objects("results")
    var results: [CaseResult] = []
    results.reserveCapacity(items.count)
    // Sized once: growing it a doubling at a time was a quarter of reading a 40,000-result baseline.
    var byKey: [ResultKey: CaseResult] = Dictionary(minimumCapacity: items.count)
    for (i, item) in items.enumerated() {
      let result = try decodeResult(item, path: "results[\(i)]")
      // `report merge` refuses two different results for one case and loader; `diff` read them and
      // compared whichever came last, so the file itself refuses them.
      if let earlier = byKey[result.key], earlier != result {
        throw JSONShapeError(path: "results[\(i)]", "conflicting results for \(result.key)")
      }
      byKey[result.key] = result
      results.append(result)
    }
    return RunResults(info: runInfo, results: results)
  }

  private static func decodeLoader(_ value: JSONValue, path: String) throws(JSONShapeError) -> LoaderInfo {
    let f = try JSONFields(value, path: path)
    var versions: [String: String] = [:]
    if let object = f.object["versions"]?.objectValue {
      for member in object { versions[member.key] = member.value.stringValue ?? JSONWriter.compact.string(member.value) }
    }
    var capabilities = LoaderCapabilities()
    if let capsValue = f.object["capabilities"], !capsValue.isNull {
      let caps = try JSONFields(capsValue, path: f.sub("capabilities"))
      capabilities.formats = Set(try caps.strings("formats", default: []).compactMap(CheckpointFormat.init(rawValue:)))
      if let tuners = caps.object["tuners"], !tuners.isNull { capabilities.tuners = Set(try caps.strings("tuners")) }
      capabilities.methods = Set(try caps.strings("methods", default: []).compactMap(LoadCall.init(rawValue:)))
      capabilities.reports = Set(try caps.strings("reports", default: []).compactMap(OutcomeField.init(rawValue:)))
      if let name = try caps.optionalString("key_naming") {
        guard let naming = KeyNaming(rawValue: name) else {
          throw JSONShapeError(path: f.sub("capabilities.key_naming"), "unknown key naming '\(name)' (peft_model, model)")
        }
        capabilities.keyNaming = naming
      }
    }
    return LoaderInfo(
      id: try f.string("id"), name: try f.string("name"), version: try f.string("version"), versions: versions,
      capabilities: capabilities)
  }

  private static func time(_ f: JSONFields) throws(JSONShapeError) -> Double? {
    guard let value = f.object["time"], !value.isNull else { return nil }
    guard let seconds = value.doubleValue, seconds >= 0, seconds.isFinite else {
      throw JSONShapeError(path: f.sub("time"), "not a number of seconds")
    }
    return seconds
  }

  private static func decodeResult(_ value: JSONValue, path: String) throws(JSONShapeError) -> CaseResult {
    let f = try JSONFields(value, path: path)
    let statusText = try f.string("status")
    guard let status = CaseStatus(rawValue: statusText) else {
      throw JSONShapeError(path: f.sub("status"), "unknown status '\(statusText)'")
    }
    var format: CheckpointFormat?
    if let text = try f.optionalString("format") {
      guard let known = CheckpointFormat(rawValue: text) else { throw JSONShapeError(path: f.sub("format"), "unknown format '\(text)'") }
      format = known
    }
    var note: ExpectationNote?
    if let value = f.object["expectation"], !value.isNull {
      let e = try JSONFields(value, path: f.sub("expectation"))
      let text = try e.string("status")
      guard let s = LoaderExpectations.Entry.Status(rawValue: text) else {
        throw JSONShapeError(path: e.sub("status"), "unknown expectation status '\(text)'")
      }
      note = ExpectationNote(
        status: s, reason: try e.string("reason"), ref: try e.string("ref"), at: try e.optionalString("at") ?? "")
    }
    let expected = f.object["expected"].flatMap { $0.isNull ? nil : $0 }
    let actual = f.object["actual"].flatMap { $0.isNull ? nil : $0 }
    return CaseResult(
      loader: try f.string("loader"), id: try f.string("id"), format: format, status: status, expected: expected,
      actual: actual, message: try f.optionalString("message") ?? "", expectation: note,
      coordinates: CaseCoordinates(
        architecture: try f.optionalString("architecture"), mutation: try f.optionalString("mutation"),
        tuner: try f.optionalString("tuner")),
      description: try f.optionalString("description") ?? "", seconds: try time(f))
  }
}
