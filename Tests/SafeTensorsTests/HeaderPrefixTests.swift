import SafeTensors
import TensorIO
import Testing

/// A header fetched alone (the 8-byte length and the header, as a range request returns them) is
/// validated against the file's full size, and reads exactly as the whole file does.
@Suite struct HeaderPrefixTests {
  static let image = SafeTensorsFileTests.twoTensors

  static func prefix(_ count: Int) -> OwnedBytes { OwnedBytes(image.prefix(count)) }

  static var headerEnd: Int {
    8 + image.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
  }

  @Test func aPrefixReadsAsTheWholeFile() throws {
    let whole = try TestImages.read(Self.image)
    for count in [Self.headerEnd, Self.headerEnd + 3, Self.image.count] {
      let file = try SafeTensorsFile(headerPrefix: Self.prefix(count), fileSize: Self.image.count, path: whole.path)
      #expect(file.tensors == whole.tensors)
      #expect(file.headerOrder == whole.headerOrder)
      #expect(file.metadata == whole.metadata)
      #expect(file.fileSize == Self.image.count)
      #expect(file.dataOffset == whole.dataOffset)
    }
  }

  @Test func dataNotInThePrefixIsNotFound() throws {
    // "b" (bytes 0..<8 of the data) is in a prefix that stops 8 bytes into the data; "a" is not.
    let file = try SafeTensorsFile(headerPrefix: Self.prefix(Self.headerEnd + 8), fileSize: Self.image.count, path: "remote")
    #expect(try file.bytes(of: "b").count == 8)
    #expect(throws: SafeTensorsError(file: "remote", kind: .tensorNotFound(tensor: "a"))) { try file.bytes(of: "a") }
  }

  @Test func theFullSizeIsCheckedAsAFilesWouldBe() {
    // The data section must end exactly at the file's end: one byte more or less is the error a
    // local file of that size gets.
    for size in [Self.image.count - 1, Self.image.count + 1] {
      #expect(
        throws: SafeTensorsError(
          file: "remote", kind: .metadataIncompleteBuffer(dataEnd: UInt64(Self.image.count), fileSize: size))
      ) {
        _ = try SafeTensorsFile(headerPrefix: Self.prefix(Self.headerEnd), fileSize: size, path: "remote")
      }
    }
  }

  @Test func aPrefixShorterThanItsHeaderIsAnError() {
    let claimed = UInt64(Self.headerEnd - 8)
    #expect(throws: SafeTensorsError(file: "remote", kind: .invalidHeaderLength(headerLength: claimed, fileSize: 20))) {
      _ = try SafeTensorsFile(headerPrefix: Self.prefix(20), fileSize: Self.image.count, path: "remote")
    }
    #expect(throws: SafeTensorsError(file: "remote", kind: .headerTooSmall)) {
      _ = try SafeTensorsFile(headerPrefix: Self.prefix(5), fileSize: Self.image.count, path: "remote")
    }
  }
}
