import HDF5Checkpoint
import TensorIO
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The writer's promises besides round trips: identical bytes, atomic replacement, input checks.
@Suite struct WriterTests {
  private func sampleTensors() -> [WritableTensor] {
    var random = SeededGenerator(seed: 42)
    var tensors = DType.allCases.map { dtype in
      let shape = RoundTripTests.shape(for: dtype)
      let count = (try? TensorInfo(dtype: dtype, shape: shape).byteCount()) ?? 0
      return WritableTensor.bytes("model.\(dtype.name).weight", dtype, shape, random.bytes(count))
    }
    tensors += ["a.b", "a.b.c", "", "x..y"].map { WritableTensor.bytes($0, .f32, [2], random.bytes(8)) }
    tensors.append(WritableTensor(name: "hole", info: TensorInfo(dtype: .bf16, shape: [64, 64]), payload: .hole))
    return tensors
  }

  @Test func sameInputGivesIdenticalBytes() throws {
    let dir = TemporaryDirectory()
    // Same content, dictionaries built in different orders.
    var first: [String: String] = [:]
    var second: [String: String] = [:]
    let pairs = (0..<40).map { ("key\($0)", "value \($0)") } + [("", "e"), ("adaptest_x", "y")]
    for (k, v) in pairs { first[k] = v }
    second.reserveCapacity(500)
    for (k, v) in pairs.reversed() { second[k] = v }

    try HDF5Writer().write(sampleTensors(), metadata: first, to: dir.file("one.h5"))
    try HDF5Writer().write(sampleTensors(), metadata: second, to: dir.file("two.h5"))
    let one = try FileSystem.read(dir.file("one.h5"))
    let two = try FileSystem.read(dir.file("two.h5"))
    #expect(one.count > 0)
    #expect(one == two)
  }

  @Test func replacesAnExistingFileAndLeavesNoTemporaryFiles() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("model.h5")
    try AtomicFile.write(text: "old content", to: path)
    try HDF5Writer().write([.bytes("t", .u8, [2], [1, 2])], metadata: [:], to: path)
    #expect(try HDF5File(path: path).bytes(of: "t").array == [1, 2])
    #expect(try FileSystem.contents(ofDirectory: dir.path) == ["model.h5"])
  }

  @Test func duplicateNamesAreRefused() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("model.h5")
    let error = hdf5Error {
      try HDF5Writer().write([.bytes("w", .u8, [1], [1]), .bytes("w", .u8, [1], [2])], metadata: [:], to: path)
    }
    #expect(error == .nameCollision(file: path, tensor: "w"))
    #expect(try FileSystem.contents(ofDirectory: dir.path).isEmpty)
  }

  @Test func payloadOfTheWrongSizeIsRefused() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("model.h5")
    let error = hdf5Error { try HDF5Writer().write([.bytes("w", .f32, [2], [1, 2, 3])], metadata: [:], to: path) }
    #expect(error == .payloadSizeMismatch(file: path, tensor: "w", expected: 8, actual: 3))
  }

  @Test func shapesWithoutAByteCountAreRefused() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("model.h5")
    let odd = hdf5Error { try HDF5Writer().write([.bytes("w", .f4, [3], [0, 0])], metadata: [:], to: path) }
    #expect(odd == .invalidTensor(file: path, tensor: "w", reason: .misaligned(bits: 12)))
    let huge = WritableTensor(name: "h", info: TensorInfo(dtype: .f64, shape: [1 << 40, 1 << 40]), payload: .hole)
    let overflow = hdf5Error { try HDF5Writer().write([huge], metadata: [:], to: path) }
    #expect(overflow == .invalidTensor(file: path, tensor: "h", reason: .overflow))
  }

  @Test func failedWriteKeepsTheOldFile() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("model.h5")
    try HDF5Writer().write([.bytes("t", .u8, [1], [9])], metadata: [:], to: path)
    let before = try FileSystem.read(path)
    _ = hdf5Error { try HDF5Writer().write([.bytes("t", .u8, [1], [1]), .bytes("t", .u8, [1], [2])], metadata: [:], to: path) }
    #expect(try FileSystem.read(path) == before)
  }

  @Test func unwritableDestinationGivesAnError() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("missing-folder/model.h5")
    let error = hdf5Error { try HDF5Writer().write([.bytes("t", .u8, [1], [1])], metadata: [:], to: path) }
    guard case .library(let file, _, let operation, let message) = error else {
      Issue.record("expected a library error, got \(String(describing: error))")
      return
    }
    #expect(file == path)
    #expect(operation == "H5Fcreate")
    #expect(!message.isEmpty)
  }
}
