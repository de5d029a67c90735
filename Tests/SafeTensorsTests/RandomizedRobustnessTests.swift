import SafeTensors
import TensorIO
import TestSupport
import Testing

/// Mutated, truncated and spliced valid files: every one gives a typed error or a valid,
/// self-consistent result, in both modes, and never traps. Seeded and bounded, so it repeats.
@Suite struct RandomizedRobustnessTests {
  /// Valid starting points: the Python fixtures, the corpus files the reference accepts, and a
  /// writer-made file with every dtype.
  static let seeds: [[UInt8]] = {
    var files: [[UInt8]] = []
    for name in ["all-dtypes", "numpy", "metadata-only", "empty-metadata"] {
      if let bytes = try? FileSystem.read(Fixtures.path("python/\(name).safetensors")) { files.append(bytes) }
    }
    let corpus = MalformedCorpusTests.folder
    for name in (try? FileSystem.contents(ofDirectory: corpus)) ?? [] where name.hasPrefix("ok-") || name.hasPrefix("serde-") {
      if let bytes = try? FileSystem.read(corpus + "/" + name) { files.append(bytes) }
    }
    let tensors = DType.allCases.map { dtype in
      WritableTensor(
        name: "t.\(dtype.name)", info: TensorInfo(dtype: dtype, shape: [2, 4]),
        payload: .generate { $0.initializeMemory(as: UInt8.self, repeating: UInt8(dtype.bitWidth)) })
    }
    if let bytes = try? SafeTensorsWriter.serialize(tensors, metadata: ["format": "pt"]) { files.append(bytes) }
    return files
  }()

  static let readingKinds: Set<String> = [
    "headerTooSmall", "headerTooLarge", "invalidHeaderLength", "invalidHeader", "invalidHeaderDeserialization",
    "invalidOffset", "validationOverflow", "misalignedSlice", "tensorInvalidInfo", "metadataIncompleteBuffer",
    "duplicateKey", "duplicateMetadataKey",
  ]

  @Test func seedsAreValid() throws {
    #expect(Self.seeds.count >= 15)
    for seed in Self.seeds { _ = try TestImages.read(seed, options: .rustCompatible) }
  }

  @Test(arguments: [1, 2, 3, 4])
  func mutatedFilesGiveTypedErrorsOrConsistentResults(round: Int) throws {
    var mutator = Mutator(generator: SeededGenerator(seed: UInt64(round) &* 0x9E37_79B9))
    var accepted = 0
    for iteration in 0..<5_000 {
      let seed = Self.seeds[iteration % Self.seeds.count]
      let donor = Self.seeds[(iteration * 7 + 3) % Self.seeds.count]
      let bytes = mutator.mutate(seed, donor: donor)
      let strict = Self.outcome(bytes, .strict)
      let compatible = Self.outcome(bytes, .rustCompatible)
      if case .success(let file) = strict {
        accepted += 1
        // Strict accepts a subset of what the reference accepts, with the same reading.
        guard case .success(let other) = compatible else {
          Issue.record("strict accepted what rustCompatible rejects: \(bytes)")
          continue
        }
        #expect(file.tensors == other.tensors)
      }
      for result in [strict, compatible] {
        switch result {
        case .failure(let error):
          #expect(Self.readingKinds.contains(error.kind.code), "\(error)")
          #expect(error.file == "memory.safetensors")
        case .success(let file):
          Self.expectConsistent(file, bytes)
        }
      }
    }
    // Mutations of digits and trailing spaces keep some files valid; the test must see both sides.
    #expect(accepted > 0)
  }

  static func outcome(_ bytes: [UInt8], _ options: SafeTensorsReadOptions) -> Result<SafeTensorsFile, SafeTensorsError> {
    Result { () throws(SafeTensorsError) in try TestImages.read(bytes, options: options) }
  }

  /// A valid reading covers the data section exactly, in offset order, with views of the right
  /// size, and writing the tensors back gives a file that reads the same.
  static func expectConsistent(_ file: SafeTensorsFile, _ bytes: [UInt8]) {
    var next = 0
    for entry in file.tensors {
      guard let offsets = entry.dataOffsets, let size = try? entry.info.byteCount() else {
        Issue.record("\(entry.name) has no offsets or size")
        return
      }
      #expect(offsets.lowerBound == next && offsets.count == size)
      next = offsets.upperBound
      #expect((try? file.bytes(of: entry.name))?.count == size)
    }
    #expect(file.dataOffset + next == bytes.count)
    #expect(Set(file.headerOrder) == Set(file.tensors.names) && file.headerOrder.count == file.tensors.count)
    do {
      let tensors = try file.tensors.map { WritableTensor(name: $0.name, info: $0.info, payload: .bytes(try file.bytes(of: $0.name))) }
      let rewritten = try TestImages.read(try SafeTensorsWriter.serialize(tensors, metadata: file.declaredMetadata))
      #expect(Set(rewritten.tensors.entries.map(\.info)) == Set(file.tensors.entries.map(\.info)))
      for entry in file.tensors {
        #expect(try rewritten.bytes(of: entry.name).array == file.bytes(of: entry.name).array)
      }
    } catch {
      Issue.record("a valid reading does not round-trip: \(error)")
    }
  }
}
