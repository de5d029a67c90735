import HDF5Checkpoint
import TensorIO
import TestSupport
import Testing

/// Files written by h5py (scripts/fixtures/make_h5py_fixtures.py), read by Swift. Expected values
/// come from the script's construction: tensor i holds `pattern(byteCount, seed: i)`.
@Suite struct H5pyFixtureTests {
  /// byte k = (k * 37 + seed * 11 + 5) mod 256, as in the fixture script.
  static func pattern(_ count: Int, seed: Int) -> [UInt8] {
    (0..<count).map { UInt8((($0 * 37) + seed * 11 + 5) & 0xFF) }
  }

  struct Expected: Sendable, CustomStringConvertible {
    var name: String
    var dtype: DType
    var shape: [Int]
    var bytes: [UInt8]
    var description: String { name }
  }

  static let expected: [Expected] = [
    Expected(name: "model.embed.weight", dtype: .f32, shape: [4, 3], bytes: pattern(48, seed: 0)),
    Expected(name: "model.norm.weight", dtype: .f16, shape: [5], bytes: pattern(10, seed: 1)),
    Expected(name: "model.layers.0.bf16", dtype: .bf16, shape: [2, 3], bytes: pattern(12, seed: 2)),
    Expected(name: "model.layers.0.e5m2", dtype: .f8E5M2, shape: [7], bytes: pattern(7, seed: 3)),
    Expected(name: "model.layers.0.e4m3", dtype: .f8E4M3, shape: [2, 2], bytes: pattern(4, seed: 4)),
    Expected(name: "model.layers.0.f4", dtype: .f4, shape: [2, 4], bytes: pattern(4, seed: 5)),
    Expected(name: "mask", dtype: .bool, shape: [6], bytes: pattern(6, seed: 6).map { $0 & 1 }),
    Expected(name: "ids", dtype: .i64, shape: [3], bytes: pattern(24, seed: 7)),
    Expected(name: "c", dtype: .c64, shape: [2], bytes: pattern(16, seed: 8)),
    Expected(name: "scalar", dtype: .f64, shape: [], bytes: pattern(8, seed: 9)),
    Expected(name: "empty", dtype: .u16, shape: [0, 4], bytes: []),
    Expected(name: "a.b", dtype: .u8, shape: [2], bytes: pattern(2, seed: 11)),
    Expected(name: "a.b.c", dtype: .u32, shape: [1], bytes: pattern(4, seed: 12)),
    Expected(name: "compressed.weight", dtype: .i32, shape: [64], bytes: pattern(256, seed: 13)),
    Expected(name: "never.written", dtype: .f32, shape: [8], bytes: [UInt8](repeating: 0, count: 32)),
  ]

  static let layoutPath = HDF5Paths.fixtures + "/h5py-layout.h5"

  @Test func tableOrderAndMetadata() throws {
    let file = try HDF5File(path: Self.layoutPath)
    #expect(file.tensors.names == Self.expected.map(\.name))
    #expect(file.metadata == ["format": "pt", "": "empty key"])
    for entry in Self.expected {
      #expect(file.tensors[entry.name]?.info == TensorInfo(dtype: entry.dtype, shape: entry.shape), "\(entry.name)")
    }
  }

  @Test(arguments: expected)
  func tensorBytes(_ entry: Expected) throws {
    let file = try HDF5File(path: Self.layoutPath)
    #expect(try file.bytes(of: entry.name).array == entry.bytes)
  }

  @Test func plainH5pyFileIsNotAnAdaptestCheckpoint() throws {
    let path = HDF5Paths.fixtures + "/h5py-plain.h5"
    let error = hdf5Error { _ = try HDF5File(path: path) }
    #expect(error?.code == "not-adaptest-layout")
    #expect(error?.file == path)
    #expect(error?.description.contains("not an Adaptest HDF5 checkpoint") == true)
  }

  @Test func missingTensorIsReported() throws {
    let file = try HDF5File(path: Self.layoutPath)
    #expect(hdf5Error { _ = try file.bytes(of: "nope") } == .tensorNotFound(file: Self.layoutPath, tensor: "nope"))
  }
}
