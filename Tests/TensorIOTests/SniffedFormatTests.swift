import Testing
import TensorIO

@Suite struct SniffedFormatTests {
  static func sniff(_ bytes: [UInt8], name: String = "x") -> SniffedFormat {
    bytes.withUnsafeBytes { SniffedFormat.sniff(prefix: $0, fileName: name) }
  }

  static let safetensorsHeader: [UInt8] = [2, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)

  @Test func recognisesByContentRegardlessOfName() {
    #expect(Self.sniff(Self.safetensorsHeader, name: "weights.bin") == .safetensors)
    #expect(Self.sniff([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], name: "a.safetensors") == .hdf5)
    #expect(Self.sniff(Array("PK\u{3}\u{4}rest".utf8), name: "adapter_model.safetensors") == .pytorchZip)
    #expect(Self.sniff([0x80, 0x02, 0x7D], name: "model.safetensors") == .pickle)
  }

  @Test func leadingWhitespaceBeforeTheHeaderObjectIsSafetensors() {
    #expect(Self.sniff([4, 0, 0, 0, 0, 0, 0, 0] + Array("  {}".utf8)) == .safetensors)
  }

  /// A header of 0x0580 bytes starts with 0x80 0x05, like a protocol-5 pickle (seen on a real PEFT
  /// AdaLoRA adapter); the `{` at byte 8 decides.
  @Test func headerLengthThatLooksLikeAPickleOpcodeIsStillSafetensors() {
    #expect(Self.sniff([0x80, 0x05, 0, 0, 0, 0, 0, 0] + Array("{\"__metadata__\":{}}".utf8)) == .safetensors)
    #expect(Self.sniff([0x80, 0x05, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0x7D, 0x94]) == .pickle)
  }

  @Test func findsHDF5SignatureAfterAUserBlock() {
    var bytes = [UInt8](repeating: 0, count: 520)
    bytes.replaceSubrange(512..<520, with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A])
    #expect(Self.sniff(bytes) == .hdf5)
  }

  @Test func damagedFilesFallBackToTheirExtension() {
    #expect(Self.sniff([1, 2, 3], name: "tiny.safetensors") == .safetensors)
    #expect(Self.sniff([], name: "x.h5") == .hdf5)
    #expect(Self.sniff([1, 2, 3], name: "mystery.dat") == .unknown)
  }
}
