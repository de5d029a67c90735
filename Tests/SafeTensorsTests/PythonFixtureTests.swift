import SafeTensors
import TensorIO
import Testing

/// Files written by Python `safetensors` (scripts/fixtures/make_safetensors_fixtures.py) against the data
/// Python was given, recorded in the fixtures' manifest.
@Suite struct PythonFixtureTests {
  struct Expected: Sendable, CustomStringConvertible {
    var file: String
    var metadata: [String: String]?
    var tensors: [(name: String, info: TensorInfo, bytes: [UInt8])]
    var description: String { file }
  }

  static let expected: [Expected] = {
    guard let manifest = try? Fixtures.json(Fixtures.path("python/manifest.json")),
      let files = manifest["files"]?.objectValue
    else { return [] }
    return files.map { file, value in
      let metadata = value["metadata"]?.objectValue.map { object in
        Dictionary(uniqueKeysWithValues: object.map { ($0.key, $0.value.stringValue ?? "") })
      }
      let tensors = (value["tensors"]?.arrayValue ?? []).map { tensor in
        (
          name: tensor["name"]?.stringValue ?? "",
          info: TensorInfo(
            dtype: DType(name: tensor["dtype"]?.stringValue ?? "") ?? .u8,
            shape: (tensor["shape"]?.arrayValue ?? []).compactMap(\.intValue)),
          bytes: Fixtures.bytes(hex: tensor["hex"]?.stringValue ?? "")
        )
      }
      return Expected(file: file, metadata: metadata, tensors: tensors)
    }
  }()

  @Test func manifestListsTheFixtures() {
    #expect(Self.expected.map(\.file).sorted() == [
      "all-dtypes.safetensors", "empty-metadata.safetensors", "metadata-only.safetensors", "numpy.safetensors",
    ])
  }

  @Test(arguments: expected)
  func readsWhatPythonWrote(_ expected: Expected) throws {
    let file = try SafeTensorsFile(path: Fixtures.path("python/" + expected.file))
    #expect(file.declaredMetadata == expected.metadata)
    #expect(Set(file.tensors.names) == Set(expected.tensors.map(\.name)))
    for tensor in expected.tensors {
      #expect(file.tensors[tensor.name]?.info == tensor.info, "\(tensor.name)")
      #expect(try file.bytes(of: tensor.name).array == tensor.bytes, "\(tensor.name)")
    }
  }

  @Test func allDTypesFixtureCoversEveryDTypePythonCanWrite() throws {
    let file = try SafeTensorsFile(path: Fixtures.path("python/all-dtypes.safetensors"))
    let written = Set(file.tensors.map(\.info.dtype))
    // The Python binding has no constructor name for the two F6 types.
    #expect(written == Set(DType.allCases).subtracting([.f6E2M3, .f6E3M2]))
    #expect(file.tensors["scalar"]?.info.shape == [])
    #expect(file.tensors["empty"]?.info.shape == [0, 4])
  }

  @Test(arguments: expected)
  func writerReproducesPythonByteForByte(_ expected: Expected) throws {
    let tensors = expected.tensors.map {
      WritableTensor(name: $0.name, info: $0.info, payload: .bytes(TensorBytes(OwnedBytes($0.bytes))))
    }
    let ours = try SafeTensorsWriter.serialize(tensors, metadata: expected.metadata)
    let python = try FileSystem.read(Fixtures.path("python/" + expected.file))
    #expect(ours == python)
  }
}
