import HDF5Checkpoint
import TensorIO
import TestSupport
import Testing

/// Writer → reader round trips: every dtype bit-exactly, names, metadata, order, holes.
@Suite struct RoundTripTests {
  /// A shape of about 15 elements whose bit count is a whole number of bytes for every dtype.
  static func shape(for dtype: DType) -> [Int] {
    switch dtype.bitWidth {
    case 4: [3, 4]  // 48 bits
    case 6: [2, 4]  // 48 bits
    default: [3, 5]
    }
  }

  private func roundTrip(_ tensors: [WritableTensor], metadata: [String: String] = [:]) throws -> HDF5File {
    let dir = TemporaryDirectory()
    let path = dir.file("model.h5")
    try HDF5Writer().write(tensors, metadata: metadata, to: path)
    // The reader keeps the file open; the directory may go away afterwards.
    return try HDF5File(path: path)
  }

  @Test(arguments: DType.allCases)
  func everyDTypeRoundTripsBitExactly(dtype: DType) throws {
    var random = SeededGenerator(seed: UInt64(dtype.ordinal) + 1)
    let shape = Self.shape(for: dtype)
    let byteCount = try TensorInfo(dtype: dtype, shape: shape).byteCount()
    let data = random.bytes(byteCount)
    let file = try roundTrip([.bytes("layer.\(dtype.name).weight", dtype, shape, data)])
    let entry = try #require(file.tensors["layer.\(dtype.name).weight"])
    #expect(entry.info == TensorInfo(dtype: dtype, shape: shape))
    #expect(try file.bytes(of: entry.name).array == data)
  }

  /// Every bit pattern of the 8- and 16-bit dtypes, NaN payloads and non-0/1 booleans included.
  @Test(arguments: DType.allCases.filter { $0.bitWidth == 8 || $0.bitWidth == 16 })
  func everyBitPatternRoundTrips(dtype: DType) throws {
    let width = dtype.bitWidth / 8
    let count = 1 << dtype.bitWidth
    var data = [UInt8](repeating: 0, count: count * width)
    for value in 0..<count {
      for byte in 0..<width { data[value * width + byte] = UInt8(truncatingIfNeeded: value >> (8 * byte)) }
    }
    let file = try roundTrip([.bytes("all", dtype, [count], data)])
    #expect(try file.bytes(of: "all").array == data)
  }

  @Test(arguments: DType.allCases.filter { $0.bitWidth >= 8 })
  func rankZeroTensors(dtype: DType) throws {
    var random = SeededGenerator(seed: 99 &+ UInt64(dtype.ordinal))
    let data = random.bytes(dtype.bitWidth / 8)
    let file = try roundTrip([.bytes("scalar", dtype, [], data)])
    #expect(file.tensors["scalar"]?.info.shape == [])
    #expect(try file.bytes(of: "scalar").array == data)
  }

  @Test(arguments: DType.allCases)
  func zeroSizeTensors(dtype: DType) throws {
    let file = try roundTrip([
      .bytes("empty", dtype, [0], []), .bytes("empty.rows", dtype, [3, 0, 2], []),
    ])
    #expect(file.tensors.names == ["empty", "empty.rows"])
    #expect(file.tensors["empty.rows"]?.info == TensorInfo(dtype: dtype, shape: [3, 0, 2]))
    #expect(try file.bytes(of: "empty").count == 0)
    #expect(try file.bytes(of: "empty.rows").count == 0)
  }

  @Test func writtenOrderIsKept() throws {
    let names = ["z.weight", "a.weight", "m.bias", "b", "a.bias"]
    let tensors = names.enumerated().map { i, name in WritableTensor.bytes(name, .u8, [1], [UInt8(i)]) }
    let file = try roundTrip(tensors)
    #expect(file.tensors.names == names)
    for (i, name) in names.enumerated() { #expect(try file.bytes(of: name).array == [UInt8(i)]) }
  }

  /// Names that cannot be mirrored as group paths keep their exact text and order (layout §2.1).
  @Test func awkwardNamesRoundTrip() throws {
    let names = [
      "model.layers.0.weight", "", ".", "..", ".lead", "trail.", "double..dot", "slash/inside.x", "a.b", "a.b.c",
      "__adaptest_escaped__.x", "with space.and\ttab", "ünï.名前.🙂", "nul\u{0}inside", "percent%2F.x", "adaptest_name",
      "a.b.d", String(repeating: "deep.", count: 32) + "w", String(repeating: "deep.", count: 31) + "w",
    ]
    let tensors = names.enumerated().map { i, name in WritableTensor.bytes(name, .i8, [], [UInt8(i)]) }
    let file = try roundTrip(tensors)
    #expect(file.tensors.names == names)
    for (i, name) in names.enumerated() { #expect(try file.bytes(of: name).array == [UInt8(i)]) }

    // Placement by the rules of layout §2.1, index by index.
    let escaped = "/__adaptest_escaped__/"
    let expected: [String: String] = [
      "model.layers.0.weight": "/model/layers/0/weight", "": escaped + "1", ".": escaped + "2", "..": escaped + "3",
      ".lead": escaped + "4", "trail.": escaped + "5", "double..dot": escaped + "6", "slash/inside.x": escaped + "7",
      "a.b": escaped + "8", "a.b.c": "/a/b/c", "__adaptest_escaped__.x": escaped + "10",
      "with space.and\ttab": "/with space/and\ttab", "ünï.名前.🙂": "/ünï/名前/🙂", "nul\u{0}inside": escaped + "13",
      "percent%2F.x": "/percent%2F/x", "adaptest_name": "/adaptest_name", "a.b.d": "/a/b/d",
      // 33 components: deeper than the mirrored maximum of 32; 32 components: mirrored.
      String(repeating: "deep.", count: 32) + "w": escaped + "17",
      String(repeating: "deep.", count: 31) + "w": String(repeating: "/deep", count: 31) + "/w",
    ]
    for name in names { #expect(file.datasetPath(of: name) == expected[name], "\(name.debugDescription)") }
  }

  @Test func metadataRoundTrips() throws {
    let metadata = [
      "format": "pt", "": "empty key", "adaptest_format": "a user key that looks reserved", "nul": "a\u{0}b",
      "key\u{0}nul": "v", "slash/and.dot": "ok", "ünïcode": "名前 🙂", "empty value": "",
    ]
    let file = try roundTrip([.bytes("t", .u8, [1], [7])], metadata: metadata)
    #expect(file.metadata == metadata)
  }

  /// Attribute values beyond the 64 KiB object header message limit (libhdf5 moves them to dense storage).
  @Test func longNamesAndMetadataValues() throws {
    let longName = String(repeating: "a_long_component_name_", count: 5_000) + ".weight"
    let longValue = String(repeating: "0123456789", count: 30_000)
    let metadata = ["config": longValue, "other": "x"]
    let file = try roundTrip([.bytes(longName, .u8, [1], [3]), .bytes("short", .u8, [1], [4])], metadata: metadata)
    #expect(file.tensors.names == [longName, "short"])
    #expect(file.metadata == metadata)
    #expect(try file.bytes(of: longName).array == [3])
  }

  @Test func emptyCheckpoint() throws {
    let file = try roundTrip([], metadata: [:])
    #expect(file.tensors.isEmpty)
    #expect(file.metadata.isEmpty)
  }

  @Test func holesReadAsZerosAndTakeNoSpace() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("holes.h5")
    let shape = [1024, 1024]  // 4 MiB of F32
    try HDF5Writer().write(
      [WritableTensor(name: "big.hole", info: TensorInfo(dtype: .f32, shape: shape), payload: .hole)],
      metadata: [:], to: path)
    let size = try FileSystem.read(path).count
    #expect(size < 64 << 10, "file has \(size) bytes")
    let file = try HDF5File(path: path)
    let bytes = try file.bytes(of: "big.hole")
    #expect(bytes.count == 4 << 20)
    #expect(bytes.withUnsafeBytes { $0.allSatisfy { $0 == 0 } })
  }

  @Test func generatedPayloadsAreWritten() throws {
    let info = TensorInfo(dtype: .u16, shape: [300])
    let tensor = WritableTensor(name: "gen", info: info, payload: .generate { buffer in
      for i in 0..<buffer.count { buffer[i] = UInt8(truncatingIfNeeded: i &* 7) }
    })
    let file = try roundTrip([tensor])
    #expect(try file.bytes(of: "gen").array == (0..<600).map { UInt8(truncatingIfNeeded: $0 &* 7) })
  }

  @Test func readerFromAnotherThreadSeesTheSameBytes() async throws {
    var random = SeededGenerator(seed: 5)
    let tensors = (0..<8).map { i in WritableTensor.bytes("t.\(i)", .f32, [64], random.bytes(256)) }
    let file = try roundTrip(tensors)
    try await withThrowingTaskGroup(of: Bool.self) { group in
      for (i, tensor) in tensors.enumerated() {
        guard case .bytes(let expected) = tensor.payload else { continue }
        group.addTask { try file.bytes(of: "t.\(i)").array == expected.array }
      }
      for try await same in group { #expect(same) }
    }
  }
}
