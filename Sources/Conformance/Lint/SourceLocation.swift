/// A position in a corpus file, printed the way compilers do (`file:line:column`) so editors can
/// jump to it.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// The file, relative to the corpus root.
  public var file: String
  /// Line, from 1; 0 when unknown.
  public var line: Int
  /// Column, from 1; 0 when unknown.
  public var column: Int

  public init(file: String, line: Int = 0, column: Int = 0) {
    self.file = file
    self.line = line
    self.column = column
  }

  public var description: String {
    line > 0 ? "\(file):\(line):\(column)" : file
  }

  /// `file` under `root`, without a leading `./` or a doubled `/`.
  static func join(_ root: String, _ file: String) -> String {
    var base = root
    while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
    if base.isEmpty || base == "." || file.hasPrefix("/") { return file }
    if file.isEmpty { return base }
    let joined = base + "/" + file
    return joined.hasPrefix("./") ? String(joined.dropFirst(2)) : joined
  }

  public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
    (lhs.file.utf8.lexicographicallyPrecedes(rhs.file.utf8) && lhs.file != rhs.file)
      || (lhs.file == rhs.file && (lhs.line, lhs.column) < (rhs.line, rhs.column))
  }
}
