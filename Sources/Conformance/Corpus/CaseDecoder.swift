import AdapterLoading
import Synthesis
import TensorIO

/// Turns one case file into a ``CaseSpec``, reporting every problem with its line and column:
/// unknown fields, wrong types, names missing from the ``CaseVocabulary``, and expectations no
/// loader could ever meet. Never traps; a file with errors yields no case.
///
/// The recipe (`id`, `base`, `adapter`, `load`, `formats`) is linted here, for every problem at once
/// with suggestions, and then decoded by the generator's own decoder (``PairSpec/decode(_:id:)``),
/// the one decoder of recipes, whose errors are located in the file the same way.
public struct CaseDecoder: Sendable {
  public var vocabulary: CaseVocabulary
  /// Whether a path under `Corpus/malformed/` exists (injected so decoding stays free of I/O).
  public var malformedFileExists: @Sendable (String) -> Bool

  public init(
    vocabulary: CaseVocabulary = .standard, malformedFileExists: @escaping @Sendable (String) -> Bool = { _ in true }
  ) {
    self.vocabulary = vocabulary
    self.malformedFileExists = malformedFileExists
  }

  /// The fields a case file may have, in the order the scaffold writes them.
  public static let topLevelFields = [
    "id", "description", "refs", "base", "adapter", "load", "formats", "malformed", "expect",
  ]

  /// Decodes a case.
  /// - Parameters:
  ///   - text: the YAML text.
  ///   - file: the file's path relative to the corpus root, for diagnostics and ``CaseSpec/source``.
  ///   - expectedID: the id the file's location implies; a different `id` is an error.
  /// - Returns: the case (nil when there were errors) and every diagnostic.
  public func decode(_ text: String, file: String, expectedID: String? = nil) -> (CaseSpec?, [LintDiagnostic]) {
    let (spec, diagnostics, _) = decodeTree(text, file: file, expectedID: expectedID)
    return (spec, diagnostics)
  }

  /// As ``decode(_:file:expectedID:)``, also returning the YAML tree (to locate later findings).
  func decodeTree(_ text: String, file: String, expectedID: String? = nil) -> (CaseSpec?, [LintDiagnostic], YAMLNode?) {
    var sink = LintSink(file: file)
    let root: YAMLNode?
    do {
      root = try YAMLDocument.parse(text)
    } catch {
      sink.append(
        LintDiagnostic(.error, at: SourceLocation(file: file, line: error.line, column: error.column), error.message))
      return (nil, sink.diagnostics, nil)
    }
    guard let root else {
      sink.error(nil, "the file is empty", expected: "a case mapping (run `adaptest corpus new NAME` for a template)")
      return (nil, sink.diagnostics, nil)
    }
    let spec = decodeCase(root, file: file, expectedID: expectedID, &sink)
    return (sink.hasErrors ? nil : spec, sink.diagnostics.sorted(), root)
  }

  // MARK: - Case

  private func decodeCase(_ root: YAMLNode, file: String, expectedID: String?, _ sink: inout LintSink) -> CaseSpec? {
    guard var fields = FieldReader(root, section: "the case", sink: &sink) else { return nil }
    let id = fields.requiredString("id", &sink)
    if let id, let idNode = fields.value("id") {
      if !Self.isValidID(id) {
        sink.error(idNode, "invalid case id '\(id)'", expected: "lower-case words of [a-z0-9._-] separated by '/'")
      } else if let expectedID, id != expectedID {
        sink.error(idNode, "case id '\(id)' does not match the file's location", expected: "'\(expectedID)'")
      }
    }
    let description = fields.requiredText("description", &sink)
    if let description, description.allSatisfy(\.isWhitespace), let node = fields.value("description") {
      sink.error(node, "description is empty", expected: "a sentence saying what the case checks")
    }
    let refs = fields.stringList("refs", &sink) ?? []
    if let node = fields.value("base") { lintBase(node, &sink) } else {
      sink.error(root, "the case is missing the required field 'base'")
    }
    if let node = fields.value("adapter") { lintAdapter(node, &sink) } else {
      sink.error(root, "the case is missing the required field 'adapter'")
    }
    if let node = fields.value("load") { lintLoad(node, &sink) }
    let malformed = fields.value("malformed").flatMap { decodeMalformed($0, &sink) }
    let formatsNode = fields.value("formats")
    if let formatsNode { lintFormats(formatsNode, &sink) }
    let expectNode = fields.value("expect")
    let expect = expectNode.flatMap { decodeExpect($0, &sink) }
    if expectNode == nil {
      sink.error(root, "the case is missing the required field 'expect'", expected: "what a correct loader reports")
    }
    fields.finish(&sink)

    guard let id, let description, let expect, !sink.hasErrors,
      var recipe = decodeRecipe(root, fields: ["id", "base", "adapter", "load", "formats"], id: id, &sink)
    else { return nil }
    // A malformed file is in one format: the case runs in it unless it says otherwise.
    if formatsNode == nil, let format = malformed?.format { recipe.formats = [format] }
    let spec = CaseSpec(
      id: id, description: description, refs: refs, recipe: recipe, malformed: malformed, expect: expect, source: file)
    checkConsistency(spec, recipe, root: root, expectNode: expectNode, formatsNode: formatsNode, &sink)
    return spec
  }

  /// The recipe fields, decoded by the generator; its error is reported at the field it names.
  private func decodeRecipe(_ root: YAMLNode, fields: [String], id: String, _ sink: inout LintSink) -> PairSpec? {
    var tree = JSONObject()
    for pair in root.mapping ?? [] {
      guard let name = pair.key.scalarText, fields.contains(name) else { continue }
      guard let value = pair.value.jsonValue() else {
        sink.error(pair.value, "\(name) holds a value JSON cannot represent", expected: "finite numbers and strings")
        return nil
      }
      tree[name] = value
    }
    do {
      return try PairSpec.decode(.object(tree), id: id)
    } catch {
      sink.error(root.find(path: error.field) ?? root, "\(error)")
      return nil
    }
  }

  /// `a/b-c/d.e_f`: lower-case path segments.
  public static func isValidID(_ id: String) -> Bool {
    guard !id.isEmpty, id.utf8.count <= 200 else { return false }
    return id.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { segment in
      guard let first = segment.unicodeScalars.first, isIDScalar(first), first != ".", first != "-", first != "_"
      else { return false }
      return segment.unicodeScalars.allSatisfy(isIDScalar)
    }
  }

  private static func isIDScalar(_ s: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(s) || ("0"..."9").contains(s) || s == "." || s == "_" || s == "-"
  }

  // MARK: - Base and adapter

  private func lintBase(_ node: YAMLNode, _ sink: inout LintSink) {
    guard var fields = FieldReader(node, section: "base", sink: &sink) else { return }
    var preset: BasePreset?
    if let name = fields.string("preset", &sink), let at = fields.value("preset") {
      preset = BasePreset(rawValue: name)
      if preset == nil {
        let known = BasePreset.allCases.map(\.rawValue)
        sink.error(at, "unknown preset '\(name)'", expected: Suggestions.expected(name, among: known))
      }
    }
    let architecture: String?
    if fields.contains("preset") {
      // A preset is a whole model: its family is the architecture, and its config is fixed.
      architecture = preset?.model.family.rawValue
      if let named = fields.string("architecture", &sink), let at = fields.value("architecture"), let architecture,
        named != architecture
      {
        sink.error(at, "preset '\(preset?.rawValue ?? "")' is \(architecture), not \(named)")
      }
      if let at = fields.value("config") { sink.error(at, "a preset's config cannot be overridden") }
    } else {
      architecture = fields.requiredString("architecture", &sink)
      if let architecture, !vocabulary.architectures.contains(architecture), let at = fields.value("architecture") {
        sink.error(
          at, "unknown architecture '\(architecture)'",
          expected: Suggestions.expected(architecture, among: vocabulary.architectures))
      }
    }
    if let config = fields.value("config") { lintConfig(config, "base.config", &sink) }
    if let mutations = fields.value("mutations") {
      lintMutations(mutations, "base.mutations", schemas: vocabulary.baseMutations, &sink)
    }
    fields.finish(&sink)
  }

  private func lintAdapter(_ node: YAMLNode, _ sink: inout LintSink) {
    guard var fields = FieldReader(node, section: "adapter", sink: &sink) else { return }
    let tuner = fields.requiredString("tuner", &sink)
    if let tuner, let at = fields.value("tuner") { checkTuner(tuner, at, &sink) }
    if let config = fields.value("config") { lintConfig(config, "adapter.config", &sink) }
    if let mutations = fields.value("mutations") {
      lintMutations(mutations, "adapter.mutations", schemas: vocabulary.adapterMutations, &sink)
    }
    fields.finish(&sink)
  }

  private func checkTuner(_ tuner: String, _ node: YAMLNode, _ sink: inout LintSink) {
    guard !vocabulary.tuners.contains(tuner) else { return }
    sink.error(node, "unknown tuner '\(tuner)'", expected: Suggestions.expected(tuner, among: vocabulary.tuners))
  }

  private func lintConfig(_ node: YAMLNode, _ path: String, _ sink: inout LintSink) {
    guard let pairs = node.mapping else {
      sink.error(node, "\(path) must be a mapping of config fields, found \(node.typeName)")
      return
    }
    var seen: Set<String> = []
    for pair in pairs {
      guard let key = pair.key.string else {
        sink.error(pair.key, "\(path): field names must be strings, found \(pair.key.typeName)")
        continue
      }
      if !seen.insert(key).inserted {
        sink.error(pair.key, "\(path): field '\(key)' is given twice")
        continue
      }
      if pair.value.jsonValue() == nil {
        sink.error(pair.value, "\(path).\(key) has a value JSON cannot hold", expected: "finite numbers and strings")
      }
    }
  }

  // MARK: - Mutations

  private func lintMutations(_ node: YAMLNode, _ path: String, schemas: [MutationSchema], _ sink: inout LintSink) {
    guard let items = node.sequence else {
      sink.error(node, "\(path) must be a list, found \(node.typeName)", expected: "'- name: {arguments}' items")
      return
    }
    for (i, item) in items.enumerated() { lintMutation(item, "\(path)[\(i)]", schemas: schemas, &sink) }
  }

  private func lintMutation(_ node: YAMLNode, _ path: String, schemas: [MutationSchema], _ sink: inout LintSink) {
    let nameNode: YAMLNode
    let argumentsNode: YAMLNode?
    if case .scalar(_, .string) = node.kind {
      nameNode = node
      argumentsNode = nil
    } else if let pairs = node.mapping, pairs.count == 1 {
      nameNode = pairs[0].key
      argumentsNode = pairs[0].value.isNull ? nil : pairs[0].value
    } else {
      sink.error(node, "\(path) must name one mutation", expected: "'- name' or '- name: {argument: value}'")
      return
    }
    guard let name = nameNode.string else {
      sink.error(nameNode, "\(path): a mutation name must be a string, found \(nameNode.typeName)")
      return
    }
    guard let schema = schemas.first(where: { $0.name == name }) else {
      sink.error(
        nameNode, "unknown mutation '\(name)' in \(path)", expected: Suggestions.expected(name, among: schemas.map(\.name)))
      return
    }
    var arguments = JSONObject()
    if let argumentsNode {
      guard var fields = FieldReader(argumentsNode, section: "\(path) (\(name))", sink: &sink) else { return }
      for parameter in schema.parameters {
        guard let value = fields.value(parameter.name) else { continue }
        if let json = checkArgument(value, parameter, "\(path).\(parameter.name)", &sink) {
          arguments[parameter.name] = json
        }
      }
      fields.finish(&sink)
    }
    for parameter in schema.parameters where parameter.required && arguments[parameter.name] == nil {
      if argumentsNode.flatMap({ $0.mapping?.contains { $0.key.scalarText == parameter.name } }) != true {
        sink.error(node, "mutation '\(name)' needs the argument '\(parameter.name)' (\(parameter.type.rawValue))")
      }
    }
    for group in schema.oneOf {
      let given = group.filter { arguments[$0] != nil }
      if given.count != 1 {
        sink.error(
          node, "mutation '\(name)' takes exactly one of \(group.joined(separator: ", ")), got \(given.count)")
      }
    }
  }

  private func checkArgument(
    _ node: YAMLNode, _ parameter: MutationSchema.Parameter, _ path: String, _ sink: inout LintSink
  ) -> JSONValue? {
    func fail(_ detail: String = "") -> JSONValue? {
      sink.error(node, "\(path) must be \(parameter.type.rawValue), found \(node.typeName)\(detail)")
      return nil
    }
    switch parameter.type {
    case .int:
      guard let value = node.int else { return fail() }
      return .number(String(value))
    case .positiveInt:
      guard let value = node.int else { return fail() }
      guard value > 0 else { return fail(" \(value)") }
      return .number(String(value))
    case .bool:
      guard let value = node.bool else { return fail() }
      return .bool(value)
    case .string:
      guard let value = node.string else { return fail() }
      return .string(value)
    case .dtype:
      guard let value = node.string else { return fail() }
      guard DType(name: value) != nil else {
        sink.error(
          node, "unknown dtype '\(value)' in \(path)",
          expected: Suggestions.expected(value, among: DType.allCases.map(\.name)))
        return nil
      }
      return .string(value)
    case .architecture:
      guard let value = node.string else { return fail() }
      guard vocabulary.architectures.contains(value) else {
        sink.error(
          node, "unknown architecture '\(value)' in \(path)",
          expected: Suggestions.expected(value, among: vocabulary.architectures))
        return nil
      }
      return .string(value)
    case .stringList:
      guard let values = FieldReader.stringList(node, path, &sink) else { return nil }
      return .array(values.map(JSONValue.string))
    case .intList:
      guard let items = node.sequence else { return fail() }
      var values: [JSONValue] = []
      for item in items {
        guard let value = item.int, value >= 0 else { return fail(" (an item is not a non-negative integer)") }
        values.append(.number(String(value)))
      }
      return .array(values)
    }
  }

  // MARK: - Load, formats, malformed

  private func lintLoad(_ node: YAMLNode, _ sink: inout LintSink) {
    guard var fields = FieldReader(node, section: "load", sink: &sink) else { return }
    let name = fields.string("adapter_name", &sink) ?? "default"
    if let at = fields.value("adapter_name"), name.isEmpty { sink.error(at, "load.adapter_name is empty") }
    if let loadedNode = fields.value("loaded") {
      if let items = loadedNode.sequence {
        for (i, item) in items.enumerated() { lintLoaded(item, "load.loaded[\(i)]", &sink) }
      } else {
        sink.error(loadedNode, "load.loaded must be a list, found \(loadedNode.typeName)", expected: "[default]")
      }
    }
    _ = fields.bool("ignore_mismatched_sizes", &sink)
    var method: LoadCall?
    if let methodNode = fields.value("method"), let text = FieldReader.string(methodNode, "load.method", &sink) {
      method = LoadCall(rawValue: text)
      if method == nil {
        sink.error(
          methodNode, "unknown load method '\(text)'",
          expected: Suggestions.expected(text, among: LoadCall.allCases.map(\.rawValue)))
      }
    }
    if let referenceNode = fields.value("base_model_name_or_path") {
      if !referenceNode.isNull { _ = FieldReader.string(referenceNode, "load.base_model_name_or_path", &sink) }
      if method != .autoFromPretrained {
        sink.error(
          referenceNode, "load.base_model_name_or_path is read by method auto_from_pretrained only",
          expected: "method: auto_from_pretrained")
      }
    }
    fields.finish(&sink)
  }

  private func lintLoaded(_ node: YAMLNode, _ path: String, _ sink: inout LintSink) {
    if case .scalar = node.kind {
      _ = FieldReader.string(node, path, &sink)
      return
    }
    guard var fields = FieldReader(node, section: path, sink: &sink) else { return }
    _ = fields.requiredString("name", &sink)
    if let tuner = fields.string("tuner", &sink), let at = fields.value("tuner") { checkTuner(tuner, at, &sink) }
    if let config = fields.value("config") { lintConfig(config, "\(path).config", &sink) }
    if let mutations = fields.value("mutations") {
      lintMutations(mutations, "\(path).mutations", schemas: vocabulary.adapterMutations, &sink)
    }
    fields.finish(&sink)
  }

  private func lintFormats(_ node: YAMLNode, _ sink: inout LintSink) {
    guard let names = FieldReader.stringList(node, "formats", &sink) else { return }
    var formats: [CheckpointFormat] = []
    for (name, item) in zip(names, node.sequence ?? []) {
      guard let format = CheckpointFormat(rawValue: name) else {
        sink.error(
          item, "unknown format '\(name)'",
          expected: Suggestions.expected(name, among: CheckpointFormat.allCases.map(\.rawValue)))
        continue
      }
      if formats.contains(format) {
        sink.error(item, "format '\(name)' is listed twice")
        continue
      }
      formats.append(format)
    }
    if names.isEmpty { sink.error(node, "formats is empty", expected: "at least one of safetensors, hdf5") }
  }

  private func decodeMalformed(_ node: YAMLNode, _ sink: inout LintSink) -> MalformedInput? {
    guard var fields = FieldReader(node, section: "malformed", sink: &sink) else { return nil }
    let file = fields.requiredString("file", &sink)
    var replaces = MalformedInput.Role.adapter
    if let at = fields.value("replaces"), let text = FieldReader.string(at, "malformed.replaces", &sink) {
      if let role = MalformedInput.Role(rawValue: text) {
        replaces = role
      } else {
        sink.error(
          at, "unknown value '\(text)' for malformed.replaces",
          expected: Suggestions.expected(text, among: MalformedInput.Role.allCases.map(\.rawValue)))
      }
    }
    let fileNode = fields.value("file")
    fields.finish(&sink)
    guard let file else { return nil }
    let input = MalformedInput(file: file, replaces: replaces)
    let parts = file.split(separator: "/", omittingEmptySubsequences: false)
    if file.hasPrefix("/") || parts.contains("..") || parts.contains("") {
      sink.error(fileNode, "malformed.file '\(file)' must be a plain path inside Corpus/malformed/")
    } else if input.format == nil {
      sink.error(fileNode, "malformed.file '\(file)' has no known extension", expected: ".safetensors, .h5 or .hdf5")
    } else if !malformedFileExists(file) {
      sink.error(fileNode, "malformed.file '\(file)' does not exist under Corpus/malformed/")
    }
    return input
  }

  // MARK: - Expect

  /// The fields `expect` may have.
  public static let expectFields = [
    "missing_keys", "unexpected_keys", "mismatched_keys", "error", "diagnostics", "warnings",
  ]

  private func decodeExpect(_ node: YAMLNode, _ sink: inout LintSink) -> ExpectedOutcome? {
    guard var fields = FieldReader(node, section: "expect", sink: &sink) else { return nil }
    var expect = ExpectedOutcome()
    expect.missingKeys = fields.value("missing_keys").flatMap { decodeSet($0, "expect.missing_keys", nil, &sink) }
    expect.unexpectedKeys = fields.value("unexpected_keys").flatMap {
      decodeSet($0, "expect.unexpected_keys", nil, &sink)
    }
    expect.mismatchedKeys = fields.value("mismatched_keys").flatMap {
      decodeSet($0, "expect.mismatched_keys", nil, &sink)
    }
    expect.error = fields.value("error").flatMap { decodeError($0, &sink) }
    expect.diagnostics = fields.value("diagnostics").flatMap {
      decodeSet($0, "expect.diagnostics", ("diagnostic code", vocabulary.diagnosticCodes), &sink)
    }
    expect.warnings = fields.value("warnings").flatMap {
      decodeSet($0, "expect.warnings", ("warning category", vocabulary.warningCategories), &sink)
    }
    fields.finish(&sink)
    return expect
  }

  private func decodeSet(
    _ node: YAMLNode, _ path: String, _ vocabulary: (noun: String, names: [String])?, _ sink: inout LintSink
  ) -> SetExpectation? {
    func check(_ values: [String], _ items: [YAMLNode], _ listPath: String) -> Bool {
      var seen: Set<String> = []
      var ok = true
      for (value, item) in zip(values, items) {
        if !seen.insert(value).inserted {
          sink.error(item, "'\(value)' is listed twice in \(listPath)")
          ok = false
        }
        if let vocabulary, !vocabulary.names.contains(value) {
          sink.error(
            item, "unknown \(vocabulary.noun) '\(value)' in \(listPath)",
            expected: Suggestions.expected(value, among: vocabulary.names))
          ok = false
        }
      }
      return ok
    }
    if node.sequence != nil {
      guard let values = FieldReader.stringList(node, path, &sink) else { return nil }
      return check(values, node.sequence ?? [], path) ? .exactly(values) : nil
    }
    guard node.mapping != nil else {
      sink.error(
        node, "\(path) must be a list (exactly these) or a mapping with includes/excludes, found \(node.typeName)",
        expected: "[] for none")
      return nil
    }
    guard var fields = FieldReader(node, section: path, sink: &sink) else { return nil }
    let includesNode = fields.value("includes")
    let excludesNode = fields.value("excludes")
    fields.finish(&sink)
    let includes = includesNode.flatMap { FieldReader.stringList($0, "\(path).includes", &sink) } ?? []
    let excludes = excludesNode.flatMap { FieldReader.stringList($0, "\(path).excludes", &sink) } ?? []
    if includesNode == nil && excludesNode == nil {
      sink.error(node, "\(path) asserts nothing", expected: "includes and/or excludes")
      return nil
    }
    var ok = check(includes, includesNode?.sequence ?? [], "\(path).includes")
    ok = check(excludes, excludesNode?.sequence ?? [], "\(path).excludes") && ok
    for (value, item) in zip(excludes, excludesNode?.sequence ?? []) where includes.contains(value) {
      sink.error(item, "'\(value)' is both included and excluded in \(path): no loader can satisfy that")
      ok = false
    }
    return ok ? .constrained(includes: includes, excludes: excludes) : nil
  }

  private func decodeError(_ node: YAMLNode, _ sink: inout LintSink) -> ErrorExpectation? {
    if node.isNull { return ErrorExpectation.none }
    let kindNode: YAMLNode
    var type: String?
    var formatError: String?
    if case .scalar = node.kind {
      kindNode = node
    } else {
      guard var fields = FieldReader(node, section: "expect.error", sink: &sink) else { return nil }
      guard let value = fields.value("kind") else {
        sink.error(node, "expect.error is missing the required field 'kind'")
        _ = fields.value("type")
        _ = fields.value("format_error")
        fields.finish(&sink)
        return nil
      }
      kindNode = value
      type = fields.string("type", &sink)
      if let formatNode = fields.value("format_error"),
        let text = FieldReader.string(formatNode, "expect.error.format_error", &sink)
      {
        formatError = FormatErrorName.canonical(text)
        if !vocabulary.formatErrors.contains(FormatErrorName.canonical(text)) {
          sink.error(
            formatNode, "unknown format error '\(text)'",
            expected: Suggestions.expected(text, among: vocabulary.formatErrors))
        }
      }
      fields.finish(&sink)
    }
    guard let kindText = FieldReader.string(kindNode, "expect.error.kind", &sink) else { return nil }
    let kind = ErrorKind(kindText)
    guard vocabulary.errorKinds.contains(kind) else {
      sink.error(
        kindNode, "unknown error kind '\(kindText)'",
        expected: Suggestions.expected(kindText, among: vocabulary.errorKinds.map(\.rawValue)) + ", or null for success")
      return nil
    }
    if formatError != nil && kind != .formatError {
      sink.error(node, "expect.error.format_error is only meaningful with kind 'format-error', not '\(kindText)'")
    }
    return .error(ExpectedError(kind: kind, type: type, formatError: formatError))
  }

  // MARK: - Impossible expectations

  private func checkConsistency(
    _ spec: CaseSpec, _ recipe: PairSpec, root: YAMLNode, expectNode: YAMLNode?, formatsNode: YAMLNode?,
    _ sink: inout LintSink
  ) {
    let expect = spec.expect
    let at = expectNode ?? root
    if expect.isEmpty {
      sink.error(at, "expect asserts nothing", expected: "at least one of \(Self.expectFields.joined(separator: ", "))")
    }
    if case .error(let error) = expect.error {
      if expect.assertsKeys {
        sink.error(
          at, "expect names key lists and an error '\(error.kind)': a failed load reports no keys",
          expected: "either key lists with error: null, or the error alone")
      }
      if error.kind == .sizeMismatch && recipe.load.ignoreMismatchedSizes {
        sink.error(at, "expect a size-mismatch error, but ignore_mismatched_sizes is true: the mismatch is skipped instead")
      }
    }
    if let mismatched = expect.mismatchedKeys, !mismatched.required.isEmpty, !recipe.load.ignoreMismatchedSizes {
      sink.error(
        at, "expect mismatched_keys, but ignore_mismatched_sizes is false: a mismatch fails the load",
        expected: "load.ignore_mismatched_sizes: true, or error: {kind: size-mismatch}")
    }
    let missing = Set(expect.missingKeys?.required ?? [])
    for key in expect.unexpectedKeys?.required ?? [] where missing.contains(key) {
      sink.error(at, "key '\(key)' is expected both missing and unexpected: a key is either in the model or not")
    }
    // Loading order and names.
    if recipe.load.call != .loadAdapter && !recipe.loaded.isEmpty {
      sink.error(root, "load.method \(recipe.load.call.rawValue) builds a fresh model, so load.loaded must be empty",
        expected: "method: load_adapter")
    }
    var names: Set<String> = []
    for loaded in recipe.loaded where !names.insert(loaded.name).inserted {
      sink.error(root, "adapter '\(loaded.name)' is listed twice in load.loaded")
    }
    // Malformed inputs fail with a format error, in the file's own format.
    if let malformed = spec.malformed {
      switch expect.error {
      case .error(let error) where error.kind == .formatError: break
      default:
        sink.error(
          at, "a malformed-input case must expect the load to fail with a format error",
          expected: "error: {kind: format-error, format_error: …}")
      }
      if let format = malformed.format, recipe.formats != [format] {
        sink.error(
          formatsNode ?? root, "malformed.file is \(format.rawValue), so formats must be [\(format.rawValue)]")
      }
    }
  }
}
