/// A tensor element type, named and ordered exactly as the safetensors reference's `Dtype` enum.
///
/// The declaration order is the reference's "increasing alignment" order; the safetensors writer
/// sorts tensors by descending position in it, so the order is part of the file format.
public enum DType: String, CaseIterable, Sendable, Hashable, Codable, Comparable {
  case bool = "BOOL"
  case f4 = "F4"
  case f6E2M3 = "F6_E2M3"
  case f6E3M2 = "F6_E3M2"
  case u8 = "U8"
  case i8 = "I8"
  case f8E5M2 = "F8_E5M2"
  case f8E4M3 = "F8_E4M3"
  case f8E8M0 = "F8_E8M0"
  case f8E4M3FNUZ = "F8_E4M3FNUZ"
  case f8E5M2FNUZ = "F8_E5M2FNUZ"
  case i16 = "I16"
  case u16 = "U16"
  case f16 = "F16"
  case bf16 = "BF16"
  case i32 = "I32"
  case u32 = "U32"
  case f32 = "F32"
  case c64 = "C64"
  case f64 = "F64"
  case i64 = "I64"
  case u64 = "U64"

  /// The name used in safetensors headers (`"F32"`, `"BF16"`, …).
  public var name: String { rawValue }

  /// Creates a dtype from its safetensors name; `nil` for names the reference does not know.
  public init?(name: String) { self.init(rawValue: name) }

  /// Bits per element. Sub-byte types (F4, F6_*) are not multiples of 8.
  public var bitWidth: Int {
    switch self {
    case .f4: 4
    case .f6E2M3, .f6E3M2: 6
    case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: 8
    case .i16, .u16, .f16, .bf16: 16
    case .i32, .u32, .f32: 32
    case .c64, .f64, .i64, .u64: 64
    }
  }

  /// Position in the reference enum, which is the writer's alignment rank.
  public var ordinal: Int { Self.allCases.firstIndex(of: self)! }

  /// Whether the type holds floating-point values (including complex and 8-bit floats).
  public var isFloatingPoint: Bool {
    switch self {
    case .bool, .u8, .i8, .i16, .u16, .i32, .u32, .i64, .u64: false
    default: true
    }
  }

  public static func < (lhs: DType, rhs: DType) -> Bool { lhs.ordinal < rhs.ordinal }
}
