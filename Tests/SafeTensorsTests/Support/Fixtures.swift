import TensorIO

/// Test fixtures, found relative to this source file.
enum Fixtures {
  /// `Tests/SafeTensorsTests`.
  static let testsFolder: String = {
    var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(2)  // Support/Fixtures.swift
    return parts.joined(separator: "/")
  }()

  static func path(_ relative: String) -> String { testsFolder + "/Fixtures/" + relative }

  /// Parses a JSON file.
  static func json(_ path: String) throws -> JSONValue {
    try JSONValue.parse(try FileSystem.read(path))
  }

  static func bytes(hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
      let next = hex.index(index, offsetBy: 2)
      bytes.append(UInt8(hex[index..<next], radix: 16)!)
      index = next
    }
    return bytes
  }
}
