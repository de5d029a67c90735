import Checkpoints
import SafeTensors
import TensorIO
import TestSupport
import Testing

/// Files the Swift writer made, read back by Python `safetensors`: names, dtypes, shapes, bytes,
/// metadata, and shard indexes must be what Swift wrote.
@Suite(.enabled(if: ReferencePython.path != nil, ReferencePython.skipComment))
struct SwiftWrittenInteropTests {
  static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
  }

  /// Every dtype (sub-byte ones with whole-byte element counts), a scalar, an empty tensor, a
  /// hole, and names that need escaping.
  static let tensors: [(WritableTensor, [UInt8])] = {
    var list: [(String, TensorInfo)] = DType.allCases.map { ("dtype.\($0.name)", TensorInfo(dtype: $0, shape: [2, 4])) }
    list += [
      ("scalar", TensorInfo(dtype: .f64, shape: [])), ("empty", TensorInfo(dtype: .bf16, shape: [3, 0])),
      ("quote\"back\\slash\ttab", TensorInfo(dtype: .i16, shape: [1])), ("名前.é", TensorInfo(dtype: .u8, shape: [5])),
    ]
    var result: [(WritableTensor, [UInt8])] = []
    for (index, (name, info)) in list.enumerated() {
      let count = (try? info.byteCount()) ?? 0
      let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ index) }
      result.append((WritableTensor(name: name, info: info, payload: .bytes(TensorBytes(OwnedBytes(bytes)))), bytes))
    }
    let hole = WritableTensor(name: "hole", info: TensorInfo(dtype: .f32, shape: [1024]), payload: .hole)
    result.append((hole, [UInt8](repeating: 0, count: 4096)))
    return result
  }()

  @Test func pythonReadsWhatSwiftWrote() throws {
    let folder = TemporaryDirectory()
    let path = folder.file("swift.safetensors")
    try SafeTensorsWriter().write(Self.tensors.map(\.0), metadata: ["format": "pt", "writer": "adaptest"], to: path)
    let script = Repository.root + "/scripts/checks/describe_safetensors.py"
    let report = try JSONValue.parse(try ReferencePython.run(script, [path]))
    guard let file = report[path] else {
      Issue.record("no report for \(path)")
      return
    }
    #expect(file["metadata"] == .object(JSONObject([("format", .string("pt")), ("writer", .string("adaptest"))]))
      || file["metadata"] == .object(JSONObject([("writer", .string("adaptest")), ("format", .string("pt"))])))
    // Python's offset order is the writer's order: dtype alignment descending, then name.
    let layout = try SafeTensorsLayout(Self.tensors.map(\.0), metadata: nil, path: path)
    #expect(file["offset_keys"]?.arrayValue?.compactMap(\.stringValue) == layout.placements.map(\.tensor.name))
    for (tensor, bytes) in Self.tensors {
      let described = file["tensors"]?[tensor.name]
      #expect(described?["dtype"]?.stringValue == tensor.info.dtype.name, "\(tensor.name)")
      #expect(described?["shape"]?.arrayValue?.compactMap(\.intValue) == tensor.info.shape, "\(tensor.name)")
      #expect(described?["hex"]?.stringValue == Self.hex(bytes), "\(tensor.name)")
    }
  }

  @Test func pythonFindsShardsConsistentWithTheirIndex() throws {
    let folder = TemporaryDirectory()
    let written = try CheckpointWriting(formats: .standard).write(
      Self.tensors.map(\.0), metadata: ["format": "pt"], folder: folder.path, stem: "model", format: .safetensors,
      sharding: .count(3))
    let index = try #require(written.last)
    let script = Repository.root + "/scripts/checks/describe_safetensors.py"
    let report = try JSONValue.parse(try ReferencePython.run(script, [index]))
    #expect(report[index]?["consistent"] == .bool(true))
    #expect(report[index]?["shards"]?.arrayValue?.count == 3)
  }
}
