import CYAML

/// Composes one YAML document into a ``YAMLNode`` from libyaml's parser events, with the semantics corpus files
/// were defined by (Yams's `compose`): marks 1-based, plain scalars typed by ``YAMLScalarResolver``, quoted ones
/// strings, a mapping's keys unique by text and resolved tag, one document per file.
///
/// The tree is built without recursion (hashing keys and freeing the tree recurse, at most ``nestingLimit`` deep);
/// nesting deeper than that is refused (the libyaml Yams bundles had a limit of its own; Debian's has none). Aliases are
/// refused (``YAMLAliasScan`` refuses anchors and aliases before the text gets here; this keeps an alias from ever
/// being expanded should one get past it).
enum YAMLComposer {
  /// The most lists and mappings open at once. Yams's libyaml counted indentation and flow levels instead: it refused
  /// the 1,000th nested block mapping, let flow collections go a dozen levels further (its scanner's look-ahead), and
  /// lists written at their key's column add no indentation there.
  static let nestingLimit = 999

  static func compose(_ text: String) throws(YAMLSyntaxError) -> YAMLNode? {
    var text = text
    let result = text.withUTF8 { bytes in Result { () throws(YAMLSyntaxError) in try compose(bytes) } }
    return try result.get()
  }

  private static func compose(_ bytes: UnsafeBufferPointer<UInt8>) throws(YAMLSyntaxError) -> YAMLNode? {
    // libyaml asserts that its input has an address; an empty text is an empty stream.
    guard let input = bytes.baseAddress else { return nil }
    // libyaml keeps a pointer to the parser in the parser (its input's handler data): it must not move.
    let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    defer { parser.deallocate() }
    guard yaml_parser_initialize(parser) == 1 else { throw outOfMemory }
    defer { yaml_parser_delete(parser) }
    yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
    yaml_parser_set_input_string(parser, input, bytes.count)
    let events = Events(parser: parser)

    _ = try events.next()  // the stream's start
    let first = try events.next()
    if first.type == YAML_STREAM_END_EVENT { return nil }
    var builder = TreeBuilder()
    while builder.root == nil {
      let event = try events.next()
      // libyaml gives every document a node; should it not, end here rather than ask again after the stream's end.
      guard event.type != YAML_DOCUMENT_END_EVENT, event.type != YAML_STREAM_END_EVENT, event.type != YAML_NO_EVENT else {
        throw YAMLSyntaxError(message: "invalid YAML: the document ended before its content", line: event.line, column: event.column)
      }
      try builder.add(event)
    }
    _ = try events.next()  // the document's end
    let after = try events.next()
    guard after.type == YAML_STREAM_END_EVENT else {
      throw YAMLSyntaxError(
        message: "invalid YAML: expected a single document in the stream: but found another document",
        line: after.line, column: after.column)
    }
    return builder.root?.node
  }

  private static let outOfMemory = YAMLSyntaxError(message: "invalid YAML: Memory error", line: 0, column: 0)

  // MARK: Events

  /// One parser event, copied out of libyaml's (which is freed at once).
  private struct Event {
    enum Content {
      case scalar(text: String, tag: String?, plain: Bool, quotedImplicit: Bool)
      case sequenceStart(tag: String?)
      case mappingStart(tag: String?)
      case collectionEnd
      case alias
      case other
    }

    var type: yaml_event_type_t
    var content: Content
    var line: Int
    var column: Int
  }

  private struct Events {
    let parser: UnsafeMutablePointer<yaml_parser_t>

    func next() throws(YAMLSyntaxError) -> Event {
      var event = yaml_event_t()
      guard yaml_parser_parse(parser, &event) == 1 else { throw YAMLComposer.error(from: parser.pointee) }
      defer { yaml_event_delete(&event) }
      let content: Event.Content
      switch event.type {
      case YAML_SCALAR_EVENT:
        let scalar = event.data.scalar
        // Yams decoded scalars with Foundation, which drops a leading byte-order mark (libyaml keeps one that is
        // not at the start of the stream): `a: \u{FEFF}4` was the integer 4.
        var value = UnsafeBufferPointer(start: scalar.value, count: scalar.length)[...]
        if value.starts(with: [0xEF, 0xBB, 0xBF]) { value = value.dropFirst(3) }
        content = .scalar(
          text: String(decoding: value, as: UTF8.self),
          tag: Self.string(scalar.tag), plain: scalar.style == YAML_PLAIN_SCALAR_STYLE,
          quotedImplicit: scalar.quoted_implicit != 0)
      case YAML_SEQUENCE_START_EVENT:
        let start = event.data.sequence_start
        content = .sequenceStart(tag: start.implicit != 0 ? nil : Self.string(start.tag))
      case YAML_MAPPING_START_EVENT:
        let start = event.data.mapping_start
        content = .mappingStart(tag: start.implicit != 0 ? nil : Self.string(start.tag))
      case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT: content = .collectionEnd
      case YAML_ALIAS_EVENT: content = .alias
      default: content = .other
      }
      return Event(
        type: event.type, content: content, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
      pointer.map { String(cString: $0) }
    }
  }

  /// A libyaml error as the corpus tools report it: `invalid YAML: <context>: <problem>` at the problem's place.
  private static func error(from parser: yaml_parser_t) -> YAMLSyntaxError {
    let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
    switch parser.error {
    case YAML_MEMORY_ERROR:
      return outOfMemory
    case YAML_READER_ERROR:
      return YAMLSyntaxError(message: "unreadable YAML: \(problem)", line: 0, column: 0)
    default:
      let text = parser.context.map { "\(String(cString: $0)): \(problem)" } ?? problem
      return YAMLSyntaxError(
        message: "invalid YAML: \(text)", line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
    }
  }

  // MARK: The tree

  /// A node with what makes it equal to another as a mapping key: its text or items, and its resolved tag.
  private struct Composed {
    var node: YAMLNode
    var identity: Identity
  }

  /// Text or items and resolved tag, with a digest made once from the children's digests: a key nested in keys is
  /// hashed once, not again at every level above it.
  private struct Identity: Hashable {
    private indirect enum Shape: Equatable {
      case scalar(String, tag: String)
      case sequence([Identity], tag: String)
      case mapping([Identity], tag: String)  // keys and values, alternating
    }

    private let shape: Shape
    private let digest: Int

    static func scalar(_ text: String, tag: String) -> Identity {
      var hasher = Hasher()
      hasher.combine(0)
      hasher.combine(text)
      hasher.combine(tag)
      return Identity(shape: .scalar(text, tag: tag), digest: hasher.finalize())
    }

    static func sequence(_ items: [Identity], tag: String) -> Identity {
      Identity(shape: .sequence(items, tag: tag), digest: digest(1, items, tag))
    }

    static func mapping(_ keysAndValues: [Identity], tag: String) -> Identity {
      Identity(shape: .mapping(keysAndValues, tag: tag), digest: digest(2, keysAndValues, tag))
    }

    private static func digest(_ kind: Int, _ children: [Identity], _ tag: String) -> Int {
      var hasher = Hasher()
      hasher.combine(kind)
      hasher.combine(tag)
      for child in children { hasher.combine(child.digest) }
      return hasher.finalize()
    }

    static func == (a: Identity, b: Identity) -> Bool { a.digest == b.digest && a.shape == b.shape }
    func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    var text: String? {
      if case .scalar(let text, _) = shape { return text }
      return nil
    }
  }

  private struct TreeBuilder {
    /// An open list or mapping; a mapping's children are its keys and values, alternating. Children are appended
    /// in place (`stack[last]`), so that a collection of n items costs n appends, not n copies.
    private struct Frame {
      var isMapping: Bool
      var children: [Composed] = []
      var tag: String
      var line: Int
      var column: Int
    }

    private var stack: [Frame] = []
    private(set) var root: Composed?

    mutating func add(_ event: Event) throws(YAMLSyntaxError) {
      switch event.content {
      case .scalar(let text, let tag, let plain, let quotedImplicit):
        // Quoted without a tag is a string; plain without one takes the resolver's type; `!` is a string.
        let resolved: String
        switch quotedImplicit ? YAMLScalarResolver.str : tag {
        case nil: resolved = YAMLScalarResolver.tag(of: text)
        case "!": resolved = YAMLScalarResolver.str
        case let explicit?: resolved = explicit
        }
        let type: YAMLNode.ScalarType = plain ? Self.scalarType(resolved) : .string
        place(
          Composed(
            node: YAMLNode(kind: .scalar(text, type), line: event.line, column: event.column),
            identity: .scalar(text, tag: resolved)))
      case .sequenceStart(let tag):
        try checkNesting(event)
        stack.append(
          Frame(isMapping: false, tag: Self.collectionTag(tag, default: YAMLScalarResolver.seq), line: event.line, column: event.column))
      case .mappingStart(let tag):
        try checkNesting(event)
        stack.append(
          Frame(isMapping: true, tag: Self.collectionTag(tag, default: YAMLScalarResolver.map), line: event.line, column: event.column))
      case .collectionEnd:
        guard let frame = stack.popLast() else { return }
        let children = frame.children
        if frame.isMapping {
          let keys = stride(from: 0, to: children.count, by: 2).map { children[$0] }
          try Self.checkDuplicates(keys)
          let pairs = keys.indices.map { (key: keys[$0].node, value: children[2 * $0 + 1].node) }
          place(
            Composed(
              node: YAMLNode(kind: .mapping(pairs), line: frame.line, column: frame.column),
              identity: .mapping(children.map(\.identity), tag: frame.tag)))
        } else {
          place(
            Composed(
              node: YAMLNode(kind: .sequence(children.map(\.node)), line: frame.line, column: frame.column),
              identity: .sequence(children.map(\.identity), tag: frame.tag)))
        }
      case .alias:
        throw YAMLSyntaxError(message: "YAML aliases are not supported in corpus files", line: event.line, column: event.column)
      case .other:
        return
      }
    }

    private mutating func place(_ composed: Composed) {
      if stack.isEmpty {
        root = composed
      } else {
        stack[stack.count - 1].children.append(composed)
      }
    }

    private func checkNesting(_ event: Event) throws(YAMLSyntaxError) {
      guard stack.count < YAMLComposer.nestingLimit else {
        throw YAMLSyntaxError(
          message: "invalid YAML: maximum nesting level reached (more than \(YAMLComposer.nestingLimit) nested lists and mappings)",
          line: event.line, column: event.column)
      }
    }

    /// Yams's duplicate-key error: every key given twice, at the first place of the first of them in order.
    private static func checkDuplicates(_ keys: [Composed]) throws(YAMLSyntaxError) {
      var seen: [Identity: Int] = [:]
      var isDuplicated = Set<Int>()
      var duplicated: [Int] = []  // the first place of each key given twice, in order
      for (position, key) in keys.enumerated() {
        if let first = seen[key.identity] {
          if isDuplicated.insert(first).inserted { duplicated.append(first) }
        } else {
          seen[key.identity] = position
        }
      }
      guard !duplicated.isEmpty else { return }
      // Scalars in text order, then other keys as they came.
      let ordered = duplicated.enumerated().sorted { a, b in
        switch (keys[a.element].identity.text, keys[b.element].identity.text) {
        case (let x?, let y?): return x == y ? a.offset < b.offset : x < y
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a.offset < b.offset
        }
      }.map { keys[$0.element] }
      let names = ordered.map { $0.identity.text ?? "<uncovertable>" }.sorted().map { "'\($0)'" }.joined(separator: ", ")
      throw YAMLSyntaxError(message: "field \(names) is given twice", line: ordered[0].node.line, column: ordered[0].node.column)
    }

    private static func collectionTag(_ tag: String?, default defaultTag: String) -> String {
      guard let tag, tag != "!" else { return defaultTag }
      return tag
    }

    private static func scalarType(_ tag: String) -> YAMLNode.ScalarType {
      switch tag {
      case YAMLScalarResolver.int: .int
      case YAMLScalarResolver.float: .float
      case YAMLScalarResolver.bool: .bool
      case YAMLScalarResolver.null: .null
      default: .string
      }
    }
  }
}
