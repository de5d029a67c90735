import Checkpoints
import HDF5Checkpoint
import SafeTensors
import TensorIO
import TestSupport
import Testing

/// Tensor names and metadata are whatever the file says: `adaptest inspect` shows them on a terminal
/// without letting them move the cursor, recolour the screen or reverse the text.
@Suite("Hostile tensor names in inspect output")
struct HostileNameTests {
  static let names = [
    "\u{1B}[2J\u{1B}[Hcleared", "\u{1B}]0;title\u{7}", "a\u{202E}desrever", "line\nbreak", "\r\u{8}\u{8}over",
    "tab\tname", "\u{9B}31mcsi", "zero\u{200B}width", "nul\u{0}byte",
  ]

  @Test("every name and metadata entry is shown escaped", arguments: [CheckpointFormat.safetensors, .hdf5])
  func inspect(_ format: CheckpointFormat) throws {
    let scratch = TemporaryDirectory("checkpoints")
    let path = scratch.file("hostile.\(format.fileExtension)")
    let tensors = Self.names.map { name in
      WritableTensor(name: name, info: TensorInfo(dtype: .u8, shape: [1]), payload: .bytes(TensorBytes(OwnedBytes([7]))))
    }
    try CheckpointFormats.standard.writer(for: format).write(tensors, metadata: ["\u{1B}[31mkey": "\u{1B}[0mvalue"], to: path)
    let inspection = try CheckpointInspection(path: path, formats: .standard)
    #expect(Set(inspection.tensors.map(\.name)) == Set(Self.names), "the names themselves are kept exactly")
    let text = inspection.text
    let controls = text.unicodeScalars.filter { s in
      (s.value < 0x20 && s != "\n") || (0x7F..<0xA0).contains(s.value) || (0x202A...0x202E).contains(s.value)
        || (0x200B...0x200F).contains(s.value)
    }
    #expect(controls.isEmpty, "\(controls.map { String($0.value, radix: 16) })")
    // One line per tensor at most: a name cannot add lines of its own.
    let plain = try CheckpointInspection(path: Self.plainTwin(scratch, format), formats: .standard).text
    #expect(text.split(separator: "\n").count == plain.split(separator: "\n").count)
  }

  /// The same checkpoint with harmless names.
  static func plainTwin(_ scratch: TemporaryDirectory, _ format: CheckpointFormat) throws -> String {
    let path = scratch.file("plain.\(format.fileExtension)")
    let tensors = names.indices.map { i in
      WritableTensor(name: "t\(i)", info: TensorInfo(dtype: .u8, shape: [1]), payload: .bytes(TensorBytes(OwnedBytes([7]))))
    }
    try CheckpointFormats.standard.writer(for: format).write(tensors, metadata: ["key": "value"], to: path)
    return path
  }
}
