import Testing
import TensorIO

@Suite struct DTypeTests {
  @Test func namesAndOrderMatchTheReference() {
    // The safetensors reference's enum, in its declaration order.
    let reference = [
      "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
      "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64",
    ]
    #expect(DType.allCases.map(\.name) == reference)
  }

  @Test(arguments: [
    (DType.f4, 4), (.f6E2M3, 6), (.f6E3M2, 6), (.bool, 8), (.f8E8M0, 8), (.bf16, 16), (.f32, 32), (.c64, 64),
    (.u64, 64),
  ])
  func bitWidths(dtype: DType, bits: Int) {
    #expect(dtype.bitWidth == bits)
  }
}
