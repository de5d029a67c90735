import TensorIO

/// The commands that reproduce one result on its own, for every report format and the terminal.
public enum Reproducer {
  /// `adaptest run --filter '^ID$' --loader LOADER --no-baseline`, and for a built-in profile on a
  /// corpus case also `adaptest generate --case … && adaptest check … --profile …` (the pair on disk,
  /// checked without the runner). Shell-quoted, one command per element.
  public static func commands(for result: CaseResult) -> [String] {
    var commands = [
      "adaptest run --filter \(shellQuoted("^" + regexEscaped(result.id) + "$")) --loader \(shellQuoted(result.loader)) --no-baseline"
    ]
    // Matrix and malformed cases have no case file of their own to generate from.
    let hasCaseFile = !result.id.hasPrefix("matrix/") && !result.id.hasPrefix("malformed/")
    if BuiltinLoaders.names.contains(result.loader), hasCaseFile {
      let format = result.format.map { $0 == .hdf5 ? " --format hdf5" : "" } ?? ""
      let pair = "repro/" + result.id
      commands.append(
        "adaptest generate --case \(shellQuoted("Corpus/cases/\(result.id).yaml")) --out repro\(format) --overwrite && "
          + "adaptest check \(shellQuoted(pair + "/base")) \(shellQuoted(pair + "/adapter")) --profile \(shellQuoted(result.loader))")
    }
    return commands
  }

  /// `text` with every character Python's `re` treats specially escaped.
  static func regexEscaped(_ text: String) -> String {
    var out = ""
    for character in text {
      if ".^$*+?{}[]\\|()".contains(character) { out += "\\" }
      out.append(character)
    }
    return out
  }

  /// `text` as one shell word: bare when it is plainly safe, single-quoted otherwise.
  static func shellQuoted(_ text: String) -> String {
    let safe = !text.isEmpty && text.unicodeScalars.allSatisfy { s in
      (s.value < 0x80) && (s.properties.isAlphabetic || s.properties.numericType != nil || "-_./@:=+,".unicodeScalars.contains(s))
    }
    if safe { return text }
    return "'" + text.replacingAll(Character("'"), with: "'\\''") + "'"
  }
}
