#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The lines of a kernel text file (`/proc`, `/sys`: their size is not known before reading), without their
/// newlines; `nil` if it cannot be opened.
public func kernelFileLines(_ path: String) -> [String]? {
  guard let stream = fopen(path, "r") else { return nil }
  defer { fclose(stream) }
  var buffer: UnsafeMutablePointer<CChar>?
  var capacity = 0
  defer { free(buffer) }
  var lines: [String] = []
  while getline(&buffer, &capacity, stream) > 0, let buffer {
    let line = String(cString: buffer)
    lines.append(line.hasSuffix("\n") ? String(line.dropLast()) : line)
  }
  return lines
}

/// One mapping of this process, as `/proc/self/smaps` lists it.
public struct SmapsMapping: Sendable {
  public var range: Range<UInt>
  /// The file, `[heap]`, `[stack]`…; empty for anonymous memory.
  public var path: String
  /// The mapping's fields by name (`Rss` → `12 kB`, `VmFlags` → `rd wr mr mw me ac`).
  public var fields: [String: String]

  /// `Rss` in kilobytes.
  public var residentKilobytes: Int? { fields["Rss"]?.split(separator: " ").first.flatMap { Int($0) } }
  /// `VmFlags`, one string per flag.
  public var flags: [String] { fields["VmFlags"]?.split(separator: " ").map(String.init) ?? [] }

  /// Every mapping of this process; empty where `/proc/self/smaps` does not exist.
  public static func all() -> [SmapsMapping] {
    var mappings: [SmapsMapping] = []
    for line in kernelFileLines("/proc/self/smaps") ?? [] {
      let words = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
      let bounds = words.first?.split(separator: "-") ?? []
      if words.count >= 5, bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16) {
        let path = words.count > 5 ? String(words[5].drop { $0 == " " }) : ""
        mappings.append(SmapsMapping(range: start..<end, path: path, fields: [:]))
      } else if let colon = line.firstIndex(of: ":"), !mappings.isEmpty {
        let value = line[line.index(after: colon)...].drop { $0 == " " }
        mappings[mappings.count - 1].fields[String(line[..<colon])] = String(value)
      }
    }
    return mappings
  }
}
