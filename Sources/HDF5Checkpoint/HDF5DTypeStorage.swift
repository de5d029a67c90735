import CHDF5
import TensorIO

/// The bit layout of an IEEE-style binary float, in the terms of `H5Tset_fields`.
struct FloatFormat: Hashable, Sendable {
  var size: Int
  var signPosition: Int
  var exponentPosition: Int
  var exponentSize: Int
  var mantissaPosition: Int
  var mantissaSize: Int
  var bias: Int

  static let f16 = FloatFormat(size: 2, signPosition: 15, exponentPosition: 10, exponentSize: 5, mantissaPosition: 0, mantissaSize: 10, bias: 15)
  static let bf16 = FloatFormat(size: 2, signPosition: 15, exponentPosition: 7, exponentSize: 8, mantissaPosition: 0, mantissaSize: 7, bias: 127)
  static let f8E5M2 = FloatFormat(size: 1, signPosition: 7, exponentPosition: 2, exponentSize: 5, mantissaPosition: 0, mantissaSize: 2, bias: 15)
  static let f32 = FloatFormat(size: 4, signPosition: 31, exponentPosition: 23, exponentSize: 8, mantissaPosition: 0, mantissaSize: 23, bias: 127)
  static let f64 = FloatFormat(size: 8, signPosition: 63, exponentPosition: 52, exponentSize: 11, mantissaPosition: 0, mantissaSize: 52, bias: 1023)
}

/// How a dtype is stored in the layout (docs/hdf5-layout.md §3).
enum HDF5DTypeStorage: Hashable, Sendable {
  /// h5py's bool: an enum over a 1-byte integer.
  case boolean
  /// A plain integer of that width.
  case integer(size: Int, signed: Bool)
  /// An IEEE-style float HDF5 can describe.
  case float(FloatFormat)
  /// h5py's complex64: a compound of two F32 at offsets 0 and 4.
  case complex64
  /// Raw bits in a 1-byte integer per element; only the dtype attribute gives them meaning.
  case rawByte
  /// Sub-byte dtypes: the packed bytes as a 1-D byte dataset, the shape in an attribute.
  case packed

  init(_ dtype: DType) {
    switch dtype {
    case .bool: self = .boolean
    case .u8: self = .integer(size: 1, signed: false)
    case .i8: self = .integer(size: 1, signed: true)
    case .u16: self = .integer(size: 2, signed: false)
    case .i16: self = .integer(size: 2, signed: true)
    case .u32: self = .integer(size: 4, signed: false)
    case .i32: self = .integer(size: 4, signed: true)
    case .u64: self = .integer(size: 8, signed: false)
    case .i64: self = .integer(size: 8, signed: true)
    case .f16: self = .float(.f16)
    case .bf16: self = .float(.bf16)
    case .f8E5M2: self = .float(.f8E5M2)
    case .f32: self = .float(.f32)
    case .f64: self = .float(.f64)
    case .c64: self = .complex64
    case .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: self = .rawByte
    case .f4, .f6E2M3, .f6E3M2: self = .packed
    }
  }

  /// Whether the dataset's shape is the byte count and the tensor's shape is in `adaptest_shape`.
  var isPacked: Bool { self == .packed }
}

extension HDF5Context {
  /// Creates the file (and memory) datatype for `dtype`.
  func makeType(_ dtype: DType, _ path: String) throws(HDF5CheckpointError) -> HDF5Handle {
    switch HDF5DTypeStorage(dtype) {
    case .boolean:
      let type = try handle(H5Tenum_create(chdf5_t_std_i8le()), close: H5Tclose, path, "H5Tenum_create")
      for (name, value) in [("FALSE", Int8(0)), ("TRUE", Int8(1))] {
        var member = value
        try check(H5Tenum_insert(type.id, name, &member), path, "H5Tenum_insert")
      }
      return type
    case .integer(let size, let signed):
      let base: hid_t
      switch (size, signed) {
      case (1, false): base = chdf5_t_std_u8le()
      case (1, true): base = chdf5_t_std_i8le()
      case (2, false): base = chdf5_t_std_u16le()
      case (2, true): base = chdf5_t_std_i16le()
      case (4, false): base = chdf5_t_std_u32le()
      case (4, true): base = chdf5_t_std_i32le()
      case (8, false): base = chdf5_t_std_u64le()
      default: base = chdf5_t_std_i64le()
      }
      return try copyType(base, path)
    case .float(let format):
      return try makeFloatType(format, path)
    case .complex64:
      let type = try handle(H5Tcreate(H5T_COMPOUND, 8), close: H5Tclose, path, "H5Tcreate")
      try check(H5Tinsert(type.id, "r", 0, chdf5_t_ieee_f32le()), path, "H5Tinsert")
      try check(H5Tinsert(type.id, "i", 4, chdf5_t_ieee_f32le()), path, "H5Tinsert")
      return type
    case .rawByte, .packed:
      return try copyType(chdf5_t_std_u8le(), path)
    }
  }

  /// A float type built the way h5py builds float16: copy IEEE F32, set the fields, shrink, set the bias.
  private func makeFloatType(_ format: FloatFormat, _ path: String) throws(HDF5CheckpointError) -> HDF5Handle {
    if format == .f32 { return try copyType(chdf5_t_ieee_f32le(), path) }
    if format == .f64 { return try copyType(chdf5_t_ieee_f64le(), path) }
    let type = try copyType(chdf5_t_ieee_f32le(), path)
    try check(
      H5Tset_fields(
        type.id, format.signPosition, format.exponentPosition, format.exponentSize, format.mantissaPosition,
        format.mantissaSize), path, "H5Tset_fields")
    try check(H5Tset_size(type.id, format.size), path, "H5Tset_size")
    try check(H5Tset_ebias(type.id, format.bias), path, "H5Tset_ebias")
    return type
  }

  /// Checks that a dataset's stored type is the layout's type for `dtype`.
  /// - Returns: `nil` when it is; otherwise a description of the stored type for the error.
  func mismatch(_ type: hid_t, for dtype: DType) -> String? {
    let matches: Bool =
      switch HDF5DTypeStorage(dtype) {
      case .boolean: isBooleanEnum(type)
      case .integer(let size, let signed): isInteger(type, size: size, signed: signed)
      case .float(let format): isFloat(type, format)
      case .complex64: isComplex64(type)
      case .rawByte, .packed: isInteger(type, size: 1, signed: nil)
      }
    return matches ? nil : describe(type)
  }

  private func isLittleEndianOrByte(_ type: hid_t, size: Int) -> Bool {
    size == 1 || H5Tget_order(type) == H5T_ORDER_LE
  }

  private func isInteger(_ type: hid_t, size: Int, signed: Bool?) -> Bool {
    guard H5Tget_class(type) == H5T_INTEGER, H5Tget_size(type) == size, isLittleEndianOrByte(type, size: size),
      H5Tget_precision(type) == 8 * size, H5Tget_offset(type) == 0
    else { return false }
    guard let signed else { return true }
    return H5Tget_sign(type) == (signed ? H5T_SGN_2 : H5T_SGN_NONE)
  }

  private func isBooleanEnum(_ type: hid_t) -> Bool {
    guard H5Tget_class(type) == H5T_ENUM, H5Tget_size(type) == 1 else { return false }
    let base = H5Tget_super(type)
    guard base >= 0 else {
      _ = HDF5Library.takeErrorMessage()
      return false
    }
    defer { _ = H5Tclose(base) }
    return isInteger(base, size: 1, signed: nil)
  }

  private func isFloat(_ type: hid_t, _ format: FloatFormat) -> Bool {
    guard H5Tget_class(type) == H5T_FLOAT, H5Tget_size(type) == format.size,
      isLittleEndianOrByte(type, size: format.size), H5Tget_precision(type) == 8 * format.size,
      H5Tget_offset(type) == 0, H5Tget_norm(type) == H5T_NORM_IMPLIED, H5Tget_ebias(type) == format.bias
    else { return false }
    var sign = 0
    var exponentPosition = 0
    var exponentSize = 0
    var mantissaPosition = 0
    var mantissaSize = 0
    guard H5Tget_fields(type, &sign, &exponentPosition, &exponentSize, &mantissaPosition, &mantissaSize) >= 0 else {
      _ = HDF5Library.takeErrorMessage()
      return false
    }
    return FloatFormat(
      size: format.size, signPosition: sign, exponentPosition: exponentPosition, exponentSize: exponentSize,
      mantissaPosition: mantissaPosition, mantissaSize: mantissaSize, bias: format.bias) == format
  }

  private func isComplex64(_ type: hid_t) -> Bool {
    guard H5Tget_class(type) == H5T_COMPOUND, H5Tget_size(type) == 8, H5Tget_nmembers(type) == 2 else { return false }
    for (index, offset) in [(UInt32(0), 0), (UInt32(1), 4)] {
      guard H5Tget_member_offset(type, index) == offset else { return false }
      let member = H5Tget_member_type(type, index)
      guard member >= 0 else {
        _ = HDF5Library.takeErrorMessage()
        return false
      }
      defer { _ = H5Tclose(member) }
      guard isFloat(member, .f32) else { return false }
    }
    return true
  }

  /// A short description of an HDF5 type for error messages: `unsigned 2-byte integer`, ….
  func describe(_ type: hid_t) -> String {
    let size = H5Tget_size(type)
    let order = size > 1 && H5Tget_order(type) == H5T_ORDER_BE ? " big-endian" : ""
    switch H5Tget_class(type) {
    case H5T_INTEGER:
      let sign = H5Tget_sign(type) == H5T_SGN_NONE ? "unsigned" : "signed"
      return "\(sign)\(order) \(size)-byte integer"
    case H5T_FLOAT:
      var s = 0, ep = 0, es = 0, mp = 0, ms = 0
      _ = H5Tget_fields(type, &s, &ep, &es, &mp, &ms)
      return "\(size)-byte\(order) float (sign \(s), exponent \(ep)+\(es), mantissa \(mp)+\(ms), bias \(H5Tget_ebias(type)))"
    case H5T_ENUM: return "\(size)-byte enum"
    case H5T_COMPOUND: return "\(size)-byte compound of \(H5Tget_nmembers(type)) members"
    case H5T_STRING: return "string"
    case H5T_BITFIELD: return "\(size)-byte bitfield"
    case H5T_OPAQUE: return "\(size)-byte opaque"
    case H5T_REFERENCE: return "reference"
    case H5T_VLEN: return "variable-length sequence"
    case H5T_ARRAY: return "array type"
    case H5T_TIME: return "time type"
    default: return "unknown type class"
    }
  }
}
