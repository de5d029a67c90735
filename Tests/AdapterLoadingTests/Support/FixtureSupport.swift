import Foundation
import TensorIO

@testable import AdapterLoading

/// Locates and reads the test fixtures (`Tests/AdapterLoadingTests/Fixtures`).
enum Fixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

  static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

  static func json(_ relative: String) throws -> JSONValue {
    let data = try Data(contentsOf: url(relative))
    return try JSONValue.parse(Array(data))
  }

  static func object(_ relative: String) throws -> JSONObject {
    guard let object = try json(relative).objectValue else { throw FixtureError("\(relative) is not an object") }
    return object
  }

  static func names(in folder: String, ext: String = "json") -> [String] {
    let items = (try? FileManager.default.contentsOfDirectory(atPath: url(folder).path)) ?? []
    return items.filter { $0.hasSuffix("." + ext) }.map { String($0.dropLast(ext.count + 1)) }.sorted()
  }
}

struct FixtureError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

extension JSONValue {
  /// `[[name, dtype, [shape]], …]` or `[[name, [shape]], …]` → entries.
  func tensorList(defaultDType: DType = .f32) throws -> [(String, TensorInfo)] {
    guard let rows = arrayValue else { throw FixtureError("expected a list of tensors") }
    return try rows.map { row in
      guard let items = row.arrayValue, let name = items.first?.stringValue else { throw FixtureError("bad tensor row") }
      let dtype = items.count == 3 ? DType(name: items[1].stringValue ?? "") ?? defaultDType : defaultDType
      guard let shape = items.last?.arrayValue?.compactMap(\.intValue) else { throw FixtureError("bad shape") }
      return (name, TensorInfo(dtype: dtype, shape: shape))
    }
  }
}

/// A table of (name, info) pairs, as a checkpoint reader would produce.
func table(_ tensors: [(String, TensorInfo)], file: String = "weights.safetensors") throws -> TensorTable {
  try TensorTable(tensors.map { TensorEntry(name: $0.0, info: $0.1, file: file) })
}
