import SafeTensors
import TensorIO
import TestSupport
import Testing

/// Entries in serde's compact form take a fast path; anything else takes the general one. The two
/// must agree: the same entry text read compactly and with a space inserted (which forces the
/// general path) gives the same tensors or the same error.
@Suite struct CanonicalFastPathTests {
  static let numbers = [
    "0", "1", "8", "00", "01", "-0", "-1", "1.0", "1e3", "12345678", "123456789", "1234567890123456",
    "9999999999999999999", "18446744073709551615", "18446744073709551616", "99999999999999999999", "4294967296",
    // Every length from 1 to 20 digits, and leading zeros at a few of them.
    "12", "123", "1234", "12345", "123456", "1234567", "987654321", "9876543210", "98765432109", "987654321098",
    "9876543210987", "98765432109876", "987654321098765", "12345678901234567", "123456789012345678",
    "1234567890123456789", "12345678901234567890", "0768", "00000000", "012345678",
  ]
  static let dtypes = DType.allCases.map(\.name) + ["F128", "f32", "", "F8_E4M3FNUZX", "F\\u0033\\u0032", "U8\\\""]

  /// A consistent entry for a data section of `data` bytes, or half the time one with a token
  /// replaced by something odd.
  static func randomEntry(_ generator: inout SeededGenerator) -> (entry: String, data: Int) {
    let dtype = DType.allCases.filter { $0.bitWidth % 8 == 0 }.randomElement(using: &generator)!
    let shape = (0..<Int.random(in: 0...3, using: &generator)).map { _ in Int.random(in: 0...6, using: &generator) }
    let bytes = shape.reduce(1, *) * dtype.bitWidth / 8
    var tokens = [dtype.name] + shape.map(String.init) + ["0", String(bytes)]
    if Bool.random(using: &generator) {
      let at = Int.random(in: 0..<tokens.count, using: &generator)
      tokens[at] = at == 0 ? dtypes.randomElement(using: &generator)! : numbers.randomElement(using: &generator)!
    }
    let dims = tokens[1..<tokens.count - 2].joined(separator: ",")
    let entry = #"{"dtype":"\#(tokens[0])","shape":[\#(dims)],"data_offsets":[\#(tokens[tokens.count - 2]),\#(tokens[tokens.count - 1])]}"#
    return (entry, bytes)
  }

  static func outcome(_ header: String, data: Int) -> String {
    let image = TestImages.image(header: header, data: [UInt8](repeating: 7, count: data))
    do {
      let file = try TestImages.read(image, options: .rustCompatible)
      return file.tensors.map { "\($0.name) \($0.info) \($0.dataOffsets!)" }.joined(separator: "; ")
    } catch {
      return error.kind.code + (error.tensor ?? "")
    }
  }

  /// Keys the compact path reads, and keys it must leave to the general path.
  static let keys = [
    "t", "model.layers.0.mlp.experts.12.gate_proj.weight", "", "名前", "a\\u0062", "q\\\"", "tab\\t", "__metadata__",
    "__meta\\u0064ata__", "exactly8", "sixteen-bytes-xx",
  ]

  @Test func fastAndGeneralPathsAgree() {
    var generator = SeededGenerator(seed: 0xFA57)
    var accepted = 0
    for _ in 0..<20_000 {
      let (entry, data) = Self.randomEntry(&generator)
      let key = Self.keys.randomElement(using: &generator)!
      let compact = Self.outcome(#"{""# + key + #"":"# + entry + "}", data: data)
      let spaced = Self.outcome(#"{ ""# + key + #"" : "# + entry.dropFirst().reduce("{ ") { $0 + String($1) } + "}", data: data)
      #expect(compact == spaced, "\(entry)")
      if !compact.isEmpty, !compact.hasPrefix("invalid"), !compact.hasPrefix("validation"), !compact.hasPrefix("misaligned"),
        !compact.hasPrefix("tensorInvalid"), !compact.hasPrefix("metadataIncomplete")
      { accepted += 1 }
    }
    #expect(accepted > 5_000)
  }

  /// Entries read on the fast path share the storage of an equal recent shape; with more distinct shapes than
  /// it keeps, in a shuffled order, every entry must still read back as written — as the general path reads it.
  @Test func recentShapesNeverMixEntriesUp() throws {
    var generator = SeededGenerator(seed: 0x5A4E)
    let distinct = (0..<20).map { i in (0..<(i % 5)).map { _ in Int.random(in: 1...4, using: &generator) } + [i + 1] }
    let shapes = (0..<400).map { _ in distinct.randomElement(using: &generator)! }
    var offset = 0
    var compact: [String] = []
    var spaced: [String] = []
    for (i, shape) in shapes.enumerated() {
      let bytes = shape.reduce(1, *)
      let dims = shape.map(String.init).joined(separator: ",")
      compact.append(#""t\#(i)":{"dtype":"U8","shape":[\#(dims)],"data_offsets":[\#(offset),\#(offset + bytes)]}"#)
      spaced.append(#""t\#(i)": {"dtype": "U8", "shape": [\#(dims)], "data_offsets": [\#(offset), \#(offset + bytes)]}"#)
      offset += bytes
    }
    let data = [UInt8](repeating: 1, count: offset)
    let fast = try TestImages.read(TestImages.image(header: "{" + compact.joined(separator: ",") + "}", data: data))
    let general = try TestImages.read(TestImages.image(header: "{" + spaced.joined(separator: ", ") + "}", data: data))
    let fastShapes = Dictionary(uniqueKeysWithValues: fast.tensors.map { ($0.name, $0.info.shape) })
    let generalShapes = Dictionary(uniqueKeysWithValues: general.tensors.map { ($0.name, $0.info.shape) })
    #expect(fastShapes.count == shapes.count)
    for (i, shape) in shapes.enumerated() {
      #expect(fastShapes["t\(i)"] == shape)
      #expect(generalShapes["t\(i)"] == shape)
    }
  }
}
