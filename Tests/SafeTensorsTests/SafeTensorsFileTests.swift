#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import SafeTensors
import TensorIO
import TestSupport
import Testing

@Suite struct SafeTensorsFileTests {
  // Two tensors listed against offset order, with metadata: "b" holds 1.0 and 2.0 as F32,
  // "a" holds the bytes 1, 2, 3 as U8.
  static let twoTensors = TestImages.image(
    header: #"{"__metadata__":{"format":"pt"},"a":{"dtype":"U8","shape":[3],"data_offsets":[8,11]},"#
      + #""b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
    data: [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 1, 2, 3])

  @Test func readsTensorsInOffsetOrderAndKeepsHeaderOrder() throws {
    let file = try TestImages.read(Self.twoTensors)
    #expect(file.tensors.names == ["b", "a"])
    #expect(file.headerOrder == ["a", "b"])
    #expect(file.tensors["a"]?.info == TensorInfo(dtype: .u8, shape: [3]))
    #expect(file.tensors["b"]?.info == TensorInfo(dtype: .f32, shape: [2]))
    #expect(file.tensors["a"]?.dataOffsets == 8..<11)
    #expect(file.metadata == ["format": "pt"])
    #expect(file.format == .safetensors)
  }

  @Test func bytesAreViewsOfTheImage() throws {
    let file = try TestImages.read(Self.twoTensors)
    let a = try file.bytes(of: "a")
    #expect(a.array == [1, 2, 3])
    #expect(a.storage === file.storage)
    let b = try file.bytes(of: "b")
    let values = b.withUnsafeBytes { raw in (0..<2).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
    #expect(values == [1.0, 2.0])
  }

  @Test func lookupOfAnAbsentNameIsTensorNotFound() throws {
    let file = try TestImages.read(Self.twoTensors)
    #expect(throws: SafeTensorsError(file: "memory.safetensors", kind: .tensorNotFound(tensor: "c"))) {
      try file.bytes(of: "c")
    }
  }

  @Test func emptyHeaderAndNullMetadataAreAccepted() throws {
    let empty = try TestImages.read(TestImages.image(header: "{}"))
    #expect(empty.tensors.isEmpty)
    #expect(empty.declaredMetadata == nil)
    let null = try TestImages.read(TestImages.image(header: #"  {"__metadata__":null}"#))
    #expect(null.declaredMetadata == nil)
    let declared = try TestImages.read(TestImages.image(header: #"{"__metadata__":{}}"#))
    #expect(declared.declaredMetadata == [:])
  }

  @Test func duplicateNamesAreRejectedByDefaultAndLastWinsOnRequest() throws {
    // The second "a" covers the data; the first one's offsets are then a hole for the reference.
    let image = TestImages.image(
      header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#,
      data: [7, 9])
    #expect(TestImages.errorKind(image) == .duplicateKey(tensor: "a"))
    let file = try TestImages.read(image, options: .duplicateKeys(.lastWins))
    #expect(file.tensors.names == ["a"])
    #expect(file.tensors["a"]?.info.shape == [2])
    #expect(try file.bytes(of: "a").array == [7, 9])
  }

  @Test func errorMessagesNameTheFileAndTensor() {
    let image = TestImages.image(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])
    do {
      _ = try TestImages.read(image)
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .tensorInvalidInfo(tensor: "w"))
      #expect(error.description.contains("memory.safetensors"))
      #expect(error.description.contains("'w'"))
    }
  }

  @Test func missingFileIsAnIOError() {
    do {
      _ = try SafeTensorsFile(path: "/nonexistent/x.safetensors")
      Issue.record("expected an error")
    } catch {
      #expect(error.kind.code == "io")
      #expect(error.file == "/nonexistent/x.safetensors")
    }
  }

  /// A 32 GiB sparse file, larger than the memory of the machines this runs on: opening it touches
  /// only the header pages, and a view of a tensor reads zeros from its middle and end.
  @Test func sparseFileLargerThanMemory() throws {
    let folder = TemporaryDirectory()
    let path = folder.file("big.safetensors")
    let size: UInt64 = 32 << 30
    let header = #"{"big":{"dtype":"U8","shape":[\#(size)],"data_offsets":[0,\#(size)]}}"#
    let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
    let prefix = TestImages.littleEndian(UInt64(padded.utf8.count)) + Array(padded.utf8)
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    #expect(fd >= 0)
    _ = prefix.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    #expect(ftruncate(fd, off_t(prefix.count) + off_t(size)) == 0)
    close(fd)

    let file = try SafeTensorsFile(path: path)
    let bytes = try file.bytes(of: "big")
    #expect(bytes.count == Int(size))
    let (middle, last) = bytes.withUnsafeBytes { ($0[Int(size / 2)], $0[Int(size) - 1]) }
    #expect(middle == 0 && last == 0)
  }

  /// Once parsed, the header's pages leave the process (a 19k-tensor MoE header is 2.5 MB of a `check`'s
  /// memory), and every tensor still reads as written, the one sharing the header's last page included.
  @Test func headerPagesAreReleasedAndTensorsStillRead() throws {
    let count = 20_000
    var header = "{"
    var data: [UInt8] = []
    for i in 0..<count {
      header += (i == 0 ? "" : ",")
        + #""model.layers.\#(i).mlp.experts.weight":{"dtype":"U8","shape":[2],"data_offsets":[\#(2 * i),\#(2 * i + 2)]}"#
      data += [UInt8(truncatingIfNeeded: i), UInt8(truncatingIfNeeded: i >> 8)]
    }
    header += "}"
    let directory = TemporaryDirectory("header-pages")
    let path = try directory.write("model.safetensors", TestImages.image(header: header, data: data))
    let file = try SafeTensorsFile(path: path)
    #if os(Linux)
      let resident = try #require(Self.residentKilobytes(ofMappingOf: path))
      #expect(resident * 1024 < file.dataOffset / 4, "\(resident) KB resident of a \(file.dataOffset)-byte header")
    #endif
    for i in Array(stride(from: 0, to: count, by: 997)) + [count - 1] {
      let expected = [UInt8(truncatingIfNeeded: i), UInt8(truncatingIfNeeded: i >> 8)]
      #expect(try file.bytes(of: "model.layers.\(i).mlp.experts.weight").array == expected)
    }
  }

  /// The resident size of this process's mappings of `path` (`/proc/self/smaps`).
  private static func residentKilobytes(ofMappingOf path: String) -> Int? {
    guard let resolved = realpath(path, nil) else { return nil }
    let canonical = String(cString: resolved)
    free(resolved)
    let sizes = SmapsMapping.all().filter { $0.path == canonical }.map { $0.residentKilobytes ?? 0 }
    return sizes.isEmpty ? nil : sizes.reduce(0, +)
  }
}
