#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import SafeTensors
import TensorIO
import TestSupport
import Testing

@Suite struct SafeTensorsWriterTests {
  static func tensor(_ name: String, _ dtype: DType, _ shape: [Int], _ payload: TensorPayload? = nil) -> WritableTensor {
    let info = TensorInfo(dtype: dtype, shape: shape)
    let count = (try? info.byteCount()) ?? 0
    let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ name.utf8.count) }
    return WritableTensor(name: name, info: info, payload: payload ?? .bytes(TensorBytes(OwnedBytes(bytes))))
  }

  @Test func ordersByDTypeAlignmentDescendingThenNameBytes() throws {
    let tensors = [
      Self.tensor("b", .u8, [1]), Self.tensor("a", .u8, [1]), Self.tensor("z", .f64, [1]),
      Self.tensor("é", .f32, [1]), Self.tensor("Z", .f32, [1]), Self.tensor("y", .f32, [1]),
    ]
    let layout = try SafeTensorsLayout(tensors, metadata: nil, path: "x")
    // F64 before F32 before U8; within F32, "Z" (0x5A) < "y" (0x79) < "é" (0xC3 0xA9).
    #expect(layout.placements.map(\.tensor.name) == ["z", "Z", "y", "é", "a", "b"])
    #expect(layout.placements.map(\.dataOffsets) == [0..<8, 8..<12, 12..<16, 16..<20, 20..<21, 21..<22])
  }

  @Test func headerIsPaddedWithSpacesToAMultipleOfEight() throws {
    for length in 0..<9 {
      let layout = try SafeTensorsLayout([Self.tensor(String(repeating: "n", count: length + 1), .u8, [1])], metadata: nil, path: "x")
      #expect(layout.prefix.count % 8 == 0)
      let n = layout.prefix[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
      #expect(n == layout.prefix.count - 8)
      let text = layout.prefix[8...]
      let close = text.lastIndex(of: UInt8(ascii: "}"))!
      #expect(text[(close + 1)...].allSatisfy { $0 == UInt8(ascii: " ") })
      #expect(text.count - (close + 1 - text.startIndex) < 8)
    }
  }

  @Test func writesAtomicallyAndReadsBack() throws {
    let folder = TemporaryDirectory()
    let path = folder.file("model.safetensors")
    let tensors = [Self.tensor("w", .f32, [2, 3]), Self.tensor("s", .bf16, []), Self.tensor("e", .i64, [0, 7])]
    try SafeTensorsWriter().write(tensors, metadata: ["format": "pt"], to: path)
    // Writing again replaces the file in one step and leaves no temporary file behind.
    try SafeTensorsWriter().write(tensors, metadata: ["format": "pt"], to: path)
    #expect(try FileSystem.contents(ofDirectory: folder.path) == ["model.safetensors"])
    let file = try SafeTensorsFile(path: path)
    #expect(file.metadata == ["format": "pt"])
    for tensor in tensors {
      #expect(file.tensors[tensor.name]?.info == tensor.info)
      guard case .bytes(let expected) = tensor.payload else { continue }
      #expect(try file.bytes(of: tensor.name).array == expected.array)
    }
    #expect(try FileSystem.read(path) == SafeTensorsWriter.serialize(tensors, metadata: ["format": "pt"]))
  }

  @Test func holesStaySparseAndGeneratedPayloadsAreWrittenInPlace() throws {
    let folder = TemporaryDirectory()
    let path = folder.file("sparse.safetensors")
    let big = 256 << 20
    let tensors = [
      WritableTensor(name: "hole", info: TensorInfo(dtype: .u8, shape: [big]), payload: .hole),
      WritableTensor(
        name: "ramp", info: TensorInfo(dtype: .u8, shape: [5000]),
        payload: .generate { buffer in for i in buffer.indices { buffer[i] = UInt8(truncatingIfNeeded: i) } }),
    ]
    try SafeTensorsWriter().write(tensors, metadata: [:], to: path)
    var info = stat()
    #expect(stat(path, &info) == 0)
    #expect(Int(info.st_size) > big)
    #expect(Int(info.st_blocks) * 512 < 1 << 20, "the 256 MiB hole should not be allocated")
    let file = try SafeTensorsFile(path: path)
    #expect(file.declaredMetadata == nil)
    #expect(try file.bytes(of: "ramp").array == (0..<5000).map { UInt8(truncatingIfNeeded: $0) })
    #expect(try file.bytes(of: "hole").withUnsafeBytes { $0[big - 1] == 0 && $0[0] == 0 })
  }

  @Test func emptyMetadataIsWrittenOnlyWhenDeclared() throws {
    let none = try SafeTensorsWriter.serialize([], metadata: nil)
    #expect(Array(none[8...]) == Array("{}      ".utf8))
    // The reference writes the invalid `{},"__metadata__":{}}` here (a serde_json length-hint bug).
    let declared = try SafeTensorsWriter.serialize([], metadata: [:])
    #expect(Array(declared[8...]) == Array(#"{"__metadata__":{}}     "#.utf8))
    #expect(try TestImages.read(declared).declaredMetadata == [:])
  }

  @Test func rejectsWhatCannotBeWritten() {
    func kind(_ tensors: [WritableTensor]) -> SafeTensorsError.Kind? {
      do {
        _ = try SafeTensorsWriter.serialize(tensors, metadata: nil)
        return nil
      } catch { return error.kind }
    }
    #expect(kind([Self.tensor("a", .u8, [1]), Self.tensor("a", .i8, [1])]) == .duplicateKey(tensor: "a"))
    #expect(kind([Self.tensor("odd", .f4, [3], .hole)]) == .misalignedSlice(tensor: "odd"))
    #expect(kind([Self.tensor("huge", .f64, [1 << 40, 1 << 40], .hole)]) == .validationOverflow(tensor: "huge"))
    #expect(kind([Self.tensor("neg", .u8, [-1], .hole)]) == .tensorInvalidInfo(tensor: "neg"))
    let short = WritableTensor(name: "short", info: TensorInfo(dtype: .f32, shape: [2]), payload: .bytes(TensorBytes(OwnedBytes([1, 2, 3]))))
    #expect(kind([short]) == .invalidTensorView(tensor: "short", byteCount: 3))
  }

  /// Every dtype, sub-byte ones with element counts that fill whole bytes, through the writer
  /// and back through the reader.
  @Test(arguments: DType.allCases)
  func roundTripsEveryDType(_ dtype: DType) throws {
    let elements = dtype.bitWidth % 8 == 0 ? 6 : (dtype.bitWidth == 4 ? 6 : 8)  // 4·6 and 6·8 bits are whole bytes
    let tensors = [
      Self.tensor("t", dtype, [2, elements / 2]), Self.tensor("empty", dtype, [0]),
      Self.tensor("vector", dtype, [elements]),
    ]
    let bytes = try SafeTensorsWriter.serialize(tensors, metadata: ["dtype": dtype.name])
    let file = try TestImages.read(bytes)
    #expect(file.metadata == ["dtype": dtype.name])
    for tensor in tensors {
      #expect(file.tensors[tensor.name]?.info == tensor.info)
      guard case .bytes(let expected) = tensor.payload else { continue }
      #expect(try file.bytes(of: tensor.name).array == expected.array)
    }
  }
}
