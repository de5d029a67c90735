/// Normalizes Python message text where it legitimately varies between runs of the same program.
enum PythonMessages {
  /// Python prints sets in hash order, which changes with every interpreter start: the elements of
  /// every `{'a', 'b'}` literal are sorted. BOFT's CUDA-extension failure text depends on the machine
  /// and is cut after its prefix.
  static func normalize(_ message: String) -> String {
    let cudaPrefix = "Failed to load the CUDA extension:"
    if message.hasPrefix(cudaPrefix) { return cudaPrefix }
    var out = ""
    var rest = Substring(message)
    while let open = rest.firstIndex(of: "{") {
      out += rest[..<open]
      guard let close = rest[open...].firstIndex(of: "}") else {
        out += rest[open...]
        return out
      }
      let body = rest[rest.index(after: open)..<close]
      if body.hasPrefix("'") || body.hasPrefix("\"") {
        let items = body.split(separator: ",").map { $0.trimmingCharacters(in: " ") }.sorted()
        out += "{" + items.joined(separator: ", ") + "}"
      } else {
        out += rest[open...close]
      }
      rest = rest[rest.index(after: close)...]
    }
    out += rest
    return out
  }
}

extension Substring {
  func trimmingCharacters(in set: Character) -> String {
    var s = self
    while s.first == set { s = s.dropFirst() }
    while s.last == set { s = s.dropLast() }
    return String(s)
  }
}
