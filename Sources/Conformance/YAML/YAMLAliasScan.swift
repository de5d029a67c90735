/// Finds YAML anchors (`&name`) and aliases (`*name`) *before* the text reaches the YAML parser.
///
/// Corpus files may not use them, and they are refused before composing: a composer that resolves an
/// alias by sharing the anchored node (Yams's, which read corpus files before ``YAMLComposer``) turns nine
/// lines of nested aliases ("billion laughs") in microseconds into a tree of billions of nodes that any
/// walk over it (duplicate-key hashing, the conversion to ``YAMLNode``) then expands in time and memory.
/// ``YAMLComposer`` refuses alias events as well; this scan gives the clearer message, at the anchor.
///
/// The scan is conservative: it looks at every position where a node can start (line starts, after
/// `- `, `? `, `: `, `[`, `{`, `,` and tags), skipping quoted scalars, comments and block scalars. A
/// `*` or `&` at such a position is reported, even in the rare places where YAML would read it as
/// text (the continuation line of a plain multi-line scalar): quoting such text fixes it.
enum YAMLAliasScan {
  /// The 1-based line and column of the first anchor or alias, or `nil` when there is none.
  static func firstAnchorOrAlias(in text: String) -> (line: Int, column: Int)? {
    var text = text
    return text.withUTF8 { scan($0) }
  }

  private static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int)? {
    let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    var i = 0
    var line = 1
    var lineStart = 0
    /// While inside a block scalar: the indentation of the line that introduced it.
    var blockIndent: Int?
    var atNodeStart = true
    var atLineStart = true

    func isBlank(_ at: Int) -> Bool {
      at >= bytes.count || bytes[at] == space || bytes[at] == tab || bytes[at] == newline || bytes[at] == UInt8(ascii: "\r")
    }

    while i < bytes.count {
      // At a line start: measure the indentation, and skip the line if it belongs to a block scalar.
      if atLineStart {
        atLineStart = false
        var indent = 0
        while i + indent < bytes.count && bytes[i + indent] == space { indent += 1 }
        if let parent = blockIndent {
          let blankLine = i + indent >= bytes.count || bytes[i + indent] == newline || bytes[i + indent] == UInt8(ascii: "\r")
          if blankLine || indent > parent {
            while i < bytes.count && bytes[i] != newline { i += 1 }
            if i < bytes.count {
              i += 1
              line += 1
              lineStart = i
              atLineStart = true
            }
            continue
          }
          blockIndent = nil
        }
        i += indent
        atNodeStart = true
        // A document marker (`--- `) may be followed by the document's root node on the same line.
        if indent == 0 && i + 2 < bytes.count && bytes[i] == UInt8(ascii: "-") && bytes[i + 1] == UInt8(ascii: "-")
          && bytes[i + 2] == UInt8(ascii: "-") && isBlank(i + 3)
        {
          i += 3
        }
        continue
      }
      let byte = bytes[i]
      switch byte {
      case newline:
        i += 1
        line += 1
        lineStart = i
        atLineStart = true
        continue
      case space, tab, UInt8(ascii: "\r"):
        i += 1
        continue
      case UInt8(ascii: "#") where i == lineStart || isBlank(i - 1):
        while i < bytes.count && bytes[i] != newline { i += 1 }
        continue
      default:
        break
      }
      guard atNodeStart else {
        // Inside a plain scalar or after a closed node: only indicators start a new node.
        switch byte {
        case UInt8(ascii: ":") where isBlank(i + 1): atNodeStart = true
        case UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "{"): atNodeStart = true
        default: break
        }
        i += 1
        continue
      }
      switch byte {
      case UInt8(ascii: "&"), UInt8(ascii: "*"):
        return (line, i - lineStart + 1)
      case UInt8(ascii: "-") where isBlank(i + 1), UInt8(ascii: "?") where isBlank(i + 1),
        UInt8(ascii: ":") where isBlank(i + 1):
        i += 1
      case UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","):
        i += 1
      case UInt8(ascii: "!"):
        // A tag: the node itself follows it.
        while !isBlank(i) { i += 1 }
      case UInt8(ascii: "|"), UInt8(ascii: ">"):
        // A block scalar: its content is the following lines indented deeper than this one.
        var indent = 0
        while lineStart + indent < bytes.count && bytes[lineStart + indent] == space { indent += 1 }
        blockIndent = indent
        while i < bytes.count && bytes[i] != newline { i += 1 }
      case UInt8(ascii: "\""):
        i += 1
        while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
          if bytes[i] == UInt8(ascii: "\\") { i += 1 }
          if i < bytes.count && bytes[i] == newline {
            line += 1
            lineStart = i + 1
          }
          i += 1
        }
        i += 1
        atNodeStart = false
      case UInt8(ascii: "'"):
        i += 1
        while i < bytes.count {
          if bytes[i] == UInt8(ascii: "'") {
            if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "'") {
              i += 2
              continue
            }
            break
          }
          if bytes[i] == newline {
            line += 1
            lineStart = i + 1
          }
          i += 1
        }
        i += 1
        atNodeStart = false
      default:
        atNodeStart = false
        i += 1
      }
    }
    return nil
  }
}
