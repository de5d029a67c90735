import Foundation
import SafeTensors
import TensorIO

/// Header parsing: Adaptest's reader against Foundation's JSONDecoder on the same header.
enum HeaderBenchmarks {
  /// Opens, validates and reads every shape with ``SafeTensorsFile``.
  static func adaptest(_ path: String) throws -> Int {
    let file = try SafeTensorsFile(path: path)
    var sum = 0
    for entry in file.tensors { for dimension in entry.info.shape { sum &+= dimension } }
    return sum
  }

  struct Entry: Decodable {
    var dtype: String
    var shape: [Int]
    var data_offsets: [Int]
  }

  struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  /// A header as a straightforward JSONDecoder-based reader would decode it.
  struct Header: Decodable {
    var metadata: [String: String]?
    var tensors: [String: Entry] = [:]

    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Key.self)
      for key in container.allKeys {
        if key.stringValue == "__metadata__" {
          metadata = try container.decodeIfPresent([String: String].self, forKey: key)
        } else {
          tensors[key.stringValue] = try container.decode(Entry.self, forKey: key)
        }
      }
    }
  }

  /// The header bytes, read once; JSONDecoder is timed on them alone (no I/O, no validation).
  static func headerData(_ path: String) throws -> Data {
    let file = try MappedFile(path: path)
    return file.withUnsafeBytes { raw in
      let n = Int(UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)))
      return Data(raw[8..<8 + n])
    }
  }

  static func jsonDecoder(_ header: Data) throws -> Int {
    let decoded = try JSONDecoder().decode(Header.self, from: header)
    var sum = 0
    for entry in decoded.tensors.values { for dimension in entry.shape { sum &+= dimension } }
    return sum
  }
}
