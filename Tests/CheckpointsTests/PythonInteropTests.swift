import Checkpoints
import Foundation
import TensorIO
import TestSupport
import Testing

/// Files written by the Python `safetensors` package (scripts/fixtures/make_interop_fixtures.py),
/// read through the folder-level API and converted through HDF5 and back.
@Suite struct PythonInteropTests {
  static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/interop/python-safetensors").path

  static let files = ["all_dtypes", "small_model", "exotic_dtypes"]

  struct Expected: Decodable {
    struct Tensor: Decodable {
      var name: String
      var dtype: String
      var shape: [Int]
      var data_offsets: [Int]
      var hex: String?
    }
    var metadata: [String: String]?
    var tensors: [Tensor]
  }

  static func expected(_ name: String) throws -> Expected {
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name).expected.json"))
    return try JSONDecoder().decode(Expected.self, from: data)
  }

  static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

  @Test(arguments: files)
  func tableMatchesWhatPythonWrote(name: String) throws {
    let expected = try Self.expected(name)
    let checkpoint = try OpenedCheckpoint.open("\(Self.folder)/\(name).safetensors", formats: .standard).checkpoint
    #expect(checkpoint.tensors.count == expected.tensors.count)
    #expect(checkpoint.metadata == (expected.metadata ?? [:]))
    for tensor in expected.tensors {
      let entry = try #require(checkpoint.tensors[tensor.name])
      #expect(entry.info.dtype.name == tensor.dtype)
      #expect(entry.info.shape == tensor.shape)
      #expect(entry.dataOffsets == tensor.data_offsets[0]..<tensor.data_offsets[1])
      if let hex = tensor.hex { #expect(Self.hex(try checkpoint.bytes(of: tensor.name).array) == hex) }
    }
  }

  @Test(arguments: files)
  func safetensorsToHDF5AndBackIsByteIdentical(name: String) throws {
    let scratch = TemporaryDirectory("checkpoints")
    let original = "\(Self.folder)/\(name).safetensors"
    let conversion = CheckpointConversion(formats: .standard)
    _ = try conversion.convert(original, to: scratch.file("x.h5"), format: .hdf5)
    _ = try conversion.convert(scratch.file("x.h5"), to: scratch.file("x.safetensors"), format: .safetensors)
    #expect(try FileSystem.read(scratch.file("x.safetensors")) == FileSystem.read(original))
  }

  @Test func plainH5pyFilesAreNotMistakenForCheckpoints() throws {
    let path = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/interop/h5py/plain.h5").path
    #expect(throws: (any Error).self) { try OpenedCheckpoint.open(path, formats: .standard) }
    do {
      _ = try OpenedCheckpoint.open(path, formats: .standard)
    } catch {
      #expect(String(describing: error).contains("plain.h5"))
    }
  }
}
