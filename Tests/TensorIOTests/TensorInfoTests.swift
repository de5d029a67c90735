import Testing
import TensorIO

@Suite struct TensorInfoTests {
  @Test(arguments: [
    (TensorInfo(dtype: .f32, shape: [4, 16]), 64, 256),
    (TensorInfo(dtype: .bf16, shape: []), 1, 2),
    (TensorInfo(dtype: .f64, shape: [0, 7]), 0, 0),
    (TensorInfo(dtype: .f4, shape: [6]), 6, 3),
    (TensorInfo(dtype: .f6E2M3, shape: [4]), 4, 3),
  ])
  func counts(info: TensorInfo, elements: Int, bytes: Int) throws {
    #expect(try info.elementCount() == elements)
    #expect(try info.byteCount() == bytes)
  }

  @Test func overflowingShapesThrowInsteadOfTrapping() {
    let huge = TensorInfo(dtype: .u8, shape: [Int.max, 2])
    #expect(throws: TensorSizeError.overflow) { try huge.elementCount() }
    let bytes = TensorInfo(dtype: .f64, shape: [Int.max / 4])
    #expect(throws: TensorSizeError.overflow) { try bytes.byteCount() }
  }

  @Test func subByteTypesMustFillWholeBytes() {
    #expect(throws: TensorSizeError.misaligned(bits: 12)) { try TensorInfo(dtype: .f4, shape: [3]).byteCount() }
    #expect(throws: TensorSizeError.misaligned(bits: 6)) { try TensorInfo(dtype: .f6E3M2, shape: [1]).byteCount() }
  }

  @Test func negativeDimensionsAreRejected() {
    #expect(throws: TensorSizeError.negativeDimension(-1)) { try TensorInfo(dtype: .f32, shape: [2, -1]).elementCount() }
  }
}

@Suite struct TensorTableTests {
  func entry(_ name: String, _ n: Int = 1) -> TensorEntry {
    TensorEntry(name: name, info: TensorInfo(dtype: .f32, shape: [n]), file: "f")
  }

  @Test func keepsInsertionOrderAndLooksUpByName() throws {
    let table = try TensorTable([entry("b"), entry("a"), entry("c")])
    #expect(table.names == ["b", "a", "c"])
    #expect(table["a"]?.info.shape == [1])
    #expect(table["z"] == nil)
  }

  @Test func appendRejectsDuplicates() {
    #expect(throws: DuplicateTensorName(name: "a")) { try TensorTable([entry("a"), entry("a")]) }
  }

  @Test func relocatedMovesEveryEntryAndKeepsTheLookup() throws {
    let table = try TensorTable([entry("b"), entry("a", 2)])
    let moved = table.relocated(to: "g")
    #expect(moved.entries.map(\.file) == ["g", "g"] && moved.names == table.names)
    #expect(moved["a"] == TensorEntry(name: "a", info: TensorInfo(dtype: .f32, shape: [2]), file: "g"))
    #expect(moved == (try TensorTable(table.entries.map { TensorEntry(name: $0.name, info: $0.info, file: "g") })))
    #expect(table.relocated(to: "f") == table && table.entries.allSatisfy { $0.file == "f" })
  }

  @Test func upsertKeepsTheLastValueAtTheLastPosition() throws {
    var table = try TensorTable([entry("a", 1), entry("b"), entry("c")])
    table.upsert(entry("a", 2))
    #expect(table.names == ["b", "c", "a"])
    #expect(table["a"]?.info.shape == [2])
    #expect(table["b"]?.name == "b")
  }
}
