import AdapterLoading
import Synthesis
import SystemSupport
import TensorIO

/// The architecture sweep: cases over every model type transformers can build tiny, whose base models
/// were saved by transformers and whose adapters were saved by PEFT (`scripts/sweep/make_architecture_sweep.py`
/// writes the folder and its `manifest.json`). None of its files comes from Adaptest's generator, so a
/// run of the sweep is a differential of Adaptest's profiles against the real libraries' own files.
///
/// ```
/// <sweep>/manifest.json                               versions, cases, skipped (with the reason)
/// <sweep>/<model_type>/<task>/base/                   the tiny base, as save_pretrained wrote it
/// <sweep>/<model_type>/<task>/<scenario>/adapter/     the adapter, as PEFT saved it
/// ```
public struct ArchitectureSweep: Sendable {
  /// The sweep folder.
  public var root: String
  /// One case per manifest entry, sorted by id (`architectures/<model_type>/<task>/<scenario>`).
  public var cases: [CaseSpec]
  /// What could not be made, as `(what, reason)`: a class transformers cannot build tiny, an adapter
  /// PEFT refuses to make.
  public var skipped: [(subject: String, reason: String)]
  /// The library versions that made the sweep (`transformers`, `peft`, `torch`).
  public var versions: [String: String]
  /// SHA-256 of the manifest: identifies the sweep a report was made from.
  public var hash: String
  /// Folders of each case, by id.
  let folders: [String: Folders]

  struct Folders: Sendable, Hashable {
    var base: String
    var adapter: String
    var loaded: [PreparedCase.LoadedFolder]
  }

  /// Reads a sweep folder's manifest.
  /// - Throws: ``SweepError`` naming the manifest and the entry at fault.
  public init(folder: String) throws(SweepError) {
    root = folder
    let path = FileSystem.join(folder, "manifest.json")
    let bytes: [UInt8]
    do {
      bytes = try FileSystem.read(path)
    } catch {
      throw SweepError(file: path, detail: "\(error)")
    }
    let json: JSONValue
    do {
      json = try JSONValue.parse(bytes)
    } catch {
      throw SweepError(file: path, detail: "\(error)")
    }
    guard let manifest = json.objectValue, let entries = manifest["cases"]?.arrayValue else {
      throw SweepError(file: path, detail: "not a sweep manifest (no 'cases' list)")
    }
    var hasher = SHA256()
    hasher.update(bytes)
    hash = hasher.finalize()
    versions = [:]
    for (name, value) in manifest["versions"]?.objectValue ?? JSONObject() {
      versions[name] = value.stringValue ?? ""
    }
    skipped = (manifest["skipped"]?.arrayValue ?? []).compactMap { value in
      guard let entry = value.objectValue else { return nil }
      let what = ["model_type", "task", "scenario"].compactMap { entry[$0]?.stringValue }.joined(separator: "/")
      return (what, entry["reason"]?.stringValue ?? "")
    }
    var cases: [CaseSpec] = []
    var folders: [String: Folders] = [:]
    for (index, value) in entries.enumerated() {
      let (spec, entryFolders) = try Self.decode(value, at: index, root: folder, file: path)
      guard folders[spec.id] == nil else { throw SweepError(file: path, detail: "case \(index): duplicate id '\(spec.id)'") }
      cases.append(spec)
      folders[spec.id] = entryFolders
    }
    self.cases = cases.sortedByID()
    self.folders = folders
  }

  private static func decode(_ value: JSONValue, at index: Int, root: String, file: String) throws(SweepError)
    -> (CaseSpec, Folders)
  {
    func fail(_ detail: String) -> SweepError { SweepError(file: file, detail: "case \(index): \(detail)") }
    guard let entry = value.objectValue else { throw fail("not an object") }
    func string(_ key: String) throws(SweepError) -> String {
      guard let text = entry[key]?.stringValue, !text.isEmpty else { throw fail("'\(key)' must be a non-empty string") }
      return text
    }
    func inside(_ relative: String) throws(SweepError) -> String {
      // Folders stay inside the sweep: no absolute paths, no `..`.
      guard !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") else {
        throw fail("folder '\(relative)' leaves the sweep folder")
      }
      return FileSystem.join(root, relative)
    }
    let id = try string("id")
    guard id.hasPrefix("architectures/") else { throw fail("id '\(id)' must start with 'architectures/'") }
    let modelType = try string("model_type")
    let scenario = try string("scenario")
    var loaded: [PreparedCase.LoadedFolder] = []
    for item in entry["loaded"]?.arrayValue ?? [] {
      guard let object = item.objectValue, let name = object["name"]?.stringValue,
        let relative = object["path"]?.stringValue
      else { throw fail("'loaded' entries need 'name' and 'path'") }
      loaded.append(PreparedCase.LoadedFolder(name: name, path: try inside(relative)))
    }
    let call = try entry["method"]?.stringValue.map { (text: String) throws(SweepError) -> LoadCall in
      guard let call = LoadCall(rawValue: text) else { throw fail("unknown method '\(text)'") }
      return call
    }
    let load = LoadSetup(
      adapterName: entry["adapter_name"]?.stringValue ?? "default", loadedAdapters: loaded.map(\.name), call: call)
    let expect = try expectedOutcome(entry["expect"]?.objectValue, fail)
    var spec = CaseSpec(
      id: id, description: entry["description"]?.stringValue ?? "",
      subject: .folders(architecture: modelType, tuner: entry["tuner"]?.stringValue ?? "LORA", load: load),
      expect: expect, source: "manifest.json")
    spec.matrixCoordinates = CaseCoordinates(
      architecture: modelType, mutation: scenario, tuner: entry["task"]?.stringValue)
    let folders = Folders(base: try inside(try string("base")), adapter: try inside(try string("adapter")), loaded: loaded)
    return (spec, folders)
  }

  private static func expectedOutcome(_ object: JSONObject?, _ fail: (String) -> SweepError) throws(SweepError)
    -> ExpectedOutcome
  {
    guard let object else { throw fail("'expect' must be an object") }
    func keys(_ name: String) throws(SweepError) -> SetExpectation? {
      guard let value = object[name] else { return nil }
      guard let list = value.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
        throw fail("'expect.\(name)' must be a list of keys")
      }
      return .exactly(list.compactMap(\.stringValue))
    }
    var outcome = ExpectedOutcome(missingKeys: try keys("missing_keys"), unexpectedKeys: try keys("unexpected_keys"))
    if let error = object["error"] {
      if error.isNull {
        outcome.error = ErrorExpectation.none
      } else if let kind = error["kind"]?.stringValue, !kind.isEmpty {
        outcome.error = .error(ExpectedError(kind: ErrorKind(kind)))
      } else {
        throw fail("'expect.error' must be null or {kind: <error kind>}")
      }
    }
    guard !outcome.isEmpty else { throw fail("'expect' asserts nothing") }
    return outcome
  }

  /// Hands the loaders the sweep's own folders (nothing is generated or copied).
  public var materializer: any CaseMaterializer { SweepMaterializer(folders: folders) }

  /// The loader expectation files that apply to the sweep (`<corpus>/architectures/expectations/<loader>.yaml`),
  /// read like the corpus's own.
  public func expectations(corpusRoot: String) -> (files: [String: LoaderExpectations], diagnostics: [LintDiagnostic]) {
    let folder = FileSystem.join(corpusRoot, "architectures/expectations")
    var files: [String: LoaderExpectations] = [:]
    var diagnostics: [LintDiagnostic] = []
    guard FileSystem.kind(of: folder) == .directory, let names = try? FileSystem.contents(ofDirectory: folder) else {
      return ([:], [])
    }
    for name in names.sorted() where name.hasSuffix(".yaml") {
      let relative = "architectures/expectations/" + name
      guard let bytes = try? FileSystem.read(FileSystem.join(folder, name)),
        let text = String(validating: bytes, as: UTF8.self)
      else {
        diagnostics.append(LintDiagnostic(.error, at: SourceLocation(file: relative), "cannot read the file as UTF-8"))
        continue
      }
      let loader = String(name.dropLast(".yaml".count))
      let (decoded, found) = LoaderExpectationsDecoder.decode(text, file: relative, loader: loader, caseIDs: nil)
      diagnostics += found
      if let decoded { files[loader] = decoded }
    }
    return (files, diagnostics)
  }
}

/// The sweep's folders as prepared cases.
struct SweepMaterializer: CaseMaterializer {
  let folders: [String: ArchitectureSweep.Folders]

  func prepare(_ run: CaseRun, in folder: String) async throws -> PreparedCase {
    guard let found = folders[run.spec.id] else { throw SweepError(file: "manifest.json", detail: "no folders for \(run.spec.id)") }
    return PreparedCase(run: run, base: found.base, adapter: found.adapter, loaded: found.loaded)
  }
}

/// A sweep folder that cannot be used.
public struct SweepError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The manifest (or folder) at fault.
  public var file: String
  public var detail: String
  public var description: String { "\(file): \(detail)" }
}
