import HDF5Checkpoint
import TensorIO
import TestSupport
import Testing

/// Swift-written checkpoints read by h5py with the numpy dtypes and values of docs/hdf5-layout.md §3.
/// Needs ADAPTEST_PYTHON pointing to a Python with h5py and numpy.
@Suite struct H5pyInteropTests {
  private struct Case {
    var name: String
    var path: String
    var dtype: DType
    var shape: [Int]
    var bytes: [UInt8]
    var numpyDType: String
    var datasetShape: [Int]
    var values: [JSONValue]
  }

  private static func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
  }

  private static func numbers(_ values: [String]) -> [JSONValue] { values.map { .number($0) } }

  /// Values chosen so that the decimal text is exact in the dtype; bit patterns from IEEE 754 and the
  /// bfloat16 / float8 e5m2 definitions.
  private static let cases: [Case] = {
    func c(_ dtype: DType, _ shape: [Int], _ bytes: [UInt8], _ numpy: String, _ values: [JSONValue], datasetShape: [Int]? = nil) -> Case {
      Case(
        name: "t.\(dtype.name)", path: "/t/\(dtype.name)", dtype: dtype, shape: shape, bytes: bytes, numpyDType: numpy,
        datasetShape: datasetShape ?? shape, values: values)
    }
    return [
      c(.bool, [3], [1, 0, 1], "bool", [.bool(true), .bool(false), .bool(true)]),
      c(.u8, [3], [0, 200, 255], "uint8", numbers(["0", "200", "255"])),
      c(.i8, [3], [0x80, 0xFF, 0x7F], "int8", numbers(["-128", "-1", "127"])),
      c(.u16, [3], le([UInt16(0), 1000, 65535]), "uint16", numbers(["0", "1000", "65535"])),
      c(.i16, [3], le([Int16.min, -2, Int16.max]), "int16", numbers(["-32768", "-2", "32767"])),
      c(.u32, [3], le([UInt32(0), 4_000_000_000, .max]), "uint32", numbers(["0", "4000000000", "4294967295"])),
      c(.i32, [3], le([Int32.min, 7, .max]), "int32", numbers(["-2147483648", "7", "2147483647"])),
      c(.u64, [3], le([UInt64(0), 1, .max]), "uint64", numbers(["0", "1", "18446744073709551615"])),
      c(.i64, [3], le([Int64.min, 5, .max]), "int64", numbers(["-9223372036854775808", "5", "9223372036854775807"])),
      c(.f16, [3], le([UInt16(0x3C00), 0xB800, 0x7BFF]), "float16", numbers(["1.0", "-0.5", "65504.0"])),
      c(.bf16, [4], le([UInt16(0x3F80), 0xC020, 0x4040, 0x7FC0]), "float32",
        numbers(["1.0", "-2.5", "3.0"]) + [.string("nan")]),
      c(.f8E5M2, [3], [0x3C, 0xB8, 0x7B], "float16", numbers(["1.0", "-0.5", "57344.0"])),
      c(.f32, [3], le([Float(1.5).bitPattern, Float(-2).bitPattern, Float(0.15625).bitPattern]), "float32",
        numbers(["1.5", "-2.0", "0.15625"])),
      c(.f64, [3], le([Double(1e300).bitPattern, Double(-0.5).bitPattern, Double(3.25).bitPattern]), "float64",
        numbers(["1e300", "-0.5", "3.25"])),
      c(.c64, [2], le([Float(1).bitPattern, Float(2).bitPattern, Float(-0.5).bitPattern, Float(0).bitPattern]),
        "complex64", [.array(numbers(["1.0", "2.0"])), .array(numbers(["-0.5", "0.0"]))]),
      c(.f8E4M3, [3], [0x38, 0xFE, 0x7F], "uint8", numbers(["56", "254", "127"])),
      c(.f8E8M0, [3], [0x7F, 0x00, 0xFF], "uint8", numbers(["127", "0", "255"])),
      c(.f8E4M3FNUZ, [2], [0x80, 0x01], "uint8", numbers(["128", "1"])),
      c(.f8E5M2FNUZ, [2], [0x40, 0x02], "uint8", numbers(["64", "2"])),
      c(.f4, [2, 3], [0x12, 0x34, 0x56], "uint8", numbers(["18", "52", "86"]), datasetShape: [3]),
      c(.f6E2M3, [4], [0x01, 0x02, 0x03], "uint8", numbers(["1", "2", "3"]), datasetShape: [3]),
      c(.f6E3M2, [4], [0xFD, 0xFE, 0xFF], "uint8", numbers(["253", "254", "255"]), datasetShape: [3]),
      Case(
        name: "scalar", path: "/scalar", dtype: .f32, shape: [], bytes: le([Float(0.5).bitPattern]),
        numpyDType: "float32", datasetShape: [], values: numbers(["0.5"])),
      Case(
        name: "z.empty", path: "/z/empty", dtype: .f32, shape: [0, 3], bytes: [], numpyDType: "float32",
        datasetShape: [0, 3], values: []),
      // Written as a hole (never written): every reader must see zeros (layout §4).
      Case(
        name: "z.hole", path: "/z/hole", dtype: .f32, shape: [4], bytes: [], numpyDType: "float32",
        datasetShape: [4], values: numbers(["0.0", "0.0", "0.0", "0.0"])),
    ]
  }()

  @Test(.enabled(if: H5py.python != nil, "set ADAPTEST_PYTHON to a Python with h5py and numpy"))
  func h5pyReadsSwiftWrittenFiles() throws {
    let python = try #require(H5py.python)
    let dir = TemporaryDirectory()
    let path = dir.file("swift.h5")
    let metadata = ["format": "pt", "ünï": "名前"]
    let written = Self.cases.map { item in
      item.name == "z.hole"
        ? WritableTensor(name: item.name, info: TensorInfo(dtype: item.dtype, shape: item.shape), payload: .hole)
        : .bytes(item.name, item.dtype, item.shape, item.bytes)
    }
    try HDF5Writer().write(written, metadata: metadata, to: path)

    var tensors: [JSONValue] = []
    for item in Self.cases {
      tensors.append(
        .object(
          JSONObject([
            ("path", .string(item.path)), ("name", .string(item.name)), ("adaptest_dtype", .string(item.dtype.name)),
            ("numpy_dtype", .string(item.numpyDType)), ("shape", .array(item.datasetShape.map { .number(String($0)) })),
            ("values", .array(item.values)),
          ])))
    }
    let expected = JSONValue.object(
      JSONObject([
        ("metadata", .object(JSONObject(metadata.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))),
        ("tensors", .array(tensors)),
      ]))
    let expectedPath = dir.file("expected.json")
    try AtomicFile.write(text: JSONWriter.compact.string(expected), to: expectedPath)

    let script = Repository.root + "/scripts/checks/check_h5py_reads.py"
    let result = try ExternalCommand.run([python, script, path, expectedPath], mergeErrors: true)
    #expect(result.status == 0, "\(result.output)")
    #expect(result.output.hasPrefix("ok \(Self.cases.count) tensors"), "\(result.output)")
  }
}
