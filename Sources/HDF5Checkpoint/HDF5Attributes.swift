import CHDF5
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

// Reading and writing the small scalar attributes of the layout. Attribute values in a file being
// read are untrusted: every type, shape and size is checked before memory is touched.
extension HDF5Context {
  /// Upper bound on a fixed-length string attribute we are willing to read: the safetensors limit
  /// for a whole header, which holds every name and metadata value.
  private static let maxStringBytes = 100_000_000

  /// The names of an object's attributes, in name order.
  func attributeNames(of object: hid_t, _ path: String) throws(HDF5CheckpointError) -> [String] {
    final class Names { var items: [String] = []; var invalid = false }
    let names = Names()
    let visitor: H5A_operator2_t = { _, name, _, context in
      guard let name, let context else { return -1 }
      let names = Unmanaged<Names>.fromOpaque(context).takeUnretainedValue()
      guard let text = String(validatingCString: name) else {
        names.invalid = true
        return 1
      }
      names.items.append(text)
      return 0
    }
    let status = withExtendedLifetime(names) {
      H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, nil, visitor, Unmanaged.passUnretained(names).toOpaque())
    }
    guard status >= 0 else { throw failure(path, "H5Aiterate2") }
    guard !names.invalid else {
      throw .invalidLayout(file: file, object: path, reason: "attribute name is not valid UTF-8")
    }
    return names.items
  }

  private func openAttribute(_ object: hid_t, _ name: String, _ path: String) throws(HDF5CheckpointError)
    -> HDF5Handle
  {
    try handle(H5Aopen(object, name, defaultPlist), close: H5Aclose, path, "H5Aopen '\(name)'")
  }

  /// Throws unless the attribute holds exactly one element; returns its dataspace.
  private func requireOneElement(_ attribute: hid_t, _ name: String, _ path: String) throws(HDF5CheckpointError)
    -> HDF5Handle
  {
    let space = try handle(H5Aget_space(attribute), close: H5Sclose, path, "H5Aget_space '\(name)'")
    guard H5Sget_simple_extent_npoints(space.id) == 1 else {
      throw .invalidLayout(file: file, object: path, reason: "attribute '\(name)' must hold a single value")
    }
    return space
  }

  /// A string attribute (variable- or fixed-length, one element), validated as UTF-8.
  func readString(_ object: hid_t, _ name: String, _ path: String) throws(HDF5CheckpointError) -> String {
    let attribute = try openAttribute(object, name, path)
    let space = try requireOneElement(attribute.id, name, path)
    let type = try handle(H5Aget_type(attribute.id), close: H5Tclose, path, "H5Aget_type '\(name)'")
    guard H5Tget_class(type.id) == H5T_STRING else {
      throw .invalidLayout(file: file, object: path, reason: "attribute '\(name)' must be a string")
    }
    let cset = H5Tget_cset(type.id)
    let memory = try copyType(chdf5_t_c_s1(), path)
    try check(H5Tset_cset(memory.id, cset), path, "H5Tset_cset")
    let bytes: [UInt8]
    if try truth(H5Tis_variable_str(type.id), path, "H5Tis_variable_str") {
      try check(H5Tset_size(memory.id, chdf5_t_variable()), path, "H5Tset_size")
      var pointer: UnsafeMutablePointer<CChar>? = nil
      try check(H5Aread(attribute.id, memory.id, &pointer), path, "H5Aread '\(name)'")
      defer { _ = H5Dvlen_reclaim(memory.id, space.id, defaultPlist, &pointer) }
      guard let text = pointer else {
        throw .invalidLayout(file: file, object: path, reason: "attribute '\(name)' holds a null string")
      }
      bytes = Array(UnsafeRawBufferPointer(start: text, count: strlen(text)))
    } else {
      let size = H5Tget_size(type.id)
      guard size > 0, size <= Self.maxStringBytes else {
        throw .invalidLayout(file: file, object: path, reason: "attribute '\(name)' has string size \(size)")
      }
      try check(H5Tset_size(memory.id, size), path, "H5Tset_size")
      try check(H5Tset_strpad(memory.id, H5T_STR_NULLPAD), path, "H5Tset_strpad")
      var buffer = [UInt8](repeating: 0, count: size)
      let status = buffer.withUnsafeMutableBytes { H5Aread(attribute.id, memory.id, $0.baseAddress) }
      try check(status, path, "H5Aread '\(name)'")
      bytes = Array(buffer.prefix { $0 != 0 })
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw .invalidLayout(file: file, object: path, reason: "attribute '\(name)' is not valid UTF-8")
    }
    return text
  }

  /// An integer attribute (any integer type, one element) as a 64-bit signed value.
  func readInteger(_ object: hid_t, _ name: String, _ path: String) throws(HDF5CheckpointError) -> Int64 {
    let values = try readIntegers(object, name, path, single: true)
    return values[0]
  }

  /// A 1-D integer array attribute of at most `maxCount` elements.
  func readIntegerArray(_ object: hid_t, _ name: String, _ path: String, maxCount: Int) throws(HDF5CheckpointError)
    -> [Int64]
  {
    try readIntegers(object, name, path, single: false, maxCount: maxCount)
  }

  private func readIntegers(_ object: hid_t, _ name: String, _ path: String, single: Bool, maxCount: Int = 1)
    throws(HDF5CheckpointError) -> [Int64]
  {
    let attribute = try openAttribute(object, name, path)
    let type = try handle(H5Aget_type(attribute.id), close: H5Tclose, path, "H5Aget_type '\(name)'")
    guard H5Tget_class(type.id) == H5T_INTEGER else {
      throw .invalidLayout(file: file, object: path, reason: "attribute '\(name)' must be an integer")
    }
    let count: Int
    if single {
      _ = try requireOneElement(attribute.id, name, path)
      count = 1
    } else {
      let space = try handle(H5Aget_space(attribute.id), close: H5Sclose, path, "H5Aget_space '\(name)'")
      guard let dims = try dimensions(of: space.id, path), dims.count == 1, dims[0] <= UInt64(maxCount) else {
        throw .invalidLayout(
          file: file, object: path, reason: "attribute '\(name)' must be a 1-D array of at most \(maxCount) integers")
      }
      count = Int(dims[0])
    }
    // HDF5 converts any integer type to int64; out-of-range values saturate, which every caller
    // then rejects as out of range.
    var values = [Int64](repeating: 0, count: Swift.max(count, 1))
    if count > 0 {
      let status = values.withUnsafeMutableBytes { H5Aread(attribute.id, chdf5_t_native_int64(), $0.baseAddress) }
      try check(status, path, "H5Aread '\(name)'")
    }
    return Array(values.prefix(count))
  }

  // MARK: Writing

  /// Creates an attribute and writes `value` as a fixed-length, NUL-padded UTF-8 string of its byte
  /// count (at least 1).
  ///
  /// Fixed-length rather than variable-length strings keep attribute values inside the object
  /// headers, which the 1.8 file format checksums. Variable-length strings live in the global heap,
  /// which has no checksum, and libhdf5 1.10 reads damaged global heap entries out of bounds.
  func writeString(_ object: hid_t, _ name: String, _ value: String, _ path: String, acpl: hid_t)
    throws(HDF5CheckpointError)
  {
    var bytes = Array(value.utf8)
    if bytes.isEmpty { bytes = [0] }
    let type = try copyType(chdf5_t_c_s1(), path)
    try check(H5Tset_size(type.id, bytes.count), path, "H5Tset_size")
    try check(H5Tset_strpad(type.id, H5T_STR_NULLPAD), path, "H5Tset_strpad")
    try check(H5Tset_cset(type.id, H5T_CSET_UTF8), path, "H5Tset_cset")
    let space = try scalarSpace(path)
    let attribute = try handle(
      H5Acreate2(object, name, type.id, space.id, acpl, defaultPlist), close: H5Aclose, path, "H5Acreate2 '\(name)'")
    let status = bytes.withUnsafeBytes { H5Awrite(attribute.id, type.id, $0.baseAddress) }
    try check(status, path, "H5Awrite '\(name)'")
  }

  /// Creates a scalar 64-bit little-endian integer attribute.
  func writeInteger(_ object: hid_t, _ name: String, _ value: Int64, _ path: String, acpl: hid_t)
    throws(HDF5CheckpointError)
  {
    let space = try scalarSpace(path)
    try writeIntegers(object, name, [value], space: space.id, path, acpl: acpl)
  }

  /// Creates a 1-D 64-bit little-endian integer array attribute.
  func writeIntegerArray(_ object: hid_t, _ name: String, _ values: [Int64], _ path: String, acpl: hid_t)
    throws(HDF5CheckpointError)
  {
    let space = try simpleSpace([hsize_t(values.count)], path)
    try writeIntegers(object, name, values, space: space.id, path, acpl: acpl)
  }

  private func writeIntegers(_ object: hid_t, _ name: String, _ values: [Int64], space: hid_t, _ path: String, acpl: hid_t)
    throws(HDF5CheckpointError)
  {
    let attribute = try handle(
      H5Acreate2(object, name, chdf5_t_std_i64le(), space, acpl, defaultPlist), close: H5Aclose, path,
      "H5Acreate2 '\(name)'")
    if values.isEmpty { return }
    let status = values.withUnsafeBytes { H5Awrite(attribute.id, chdf5_t_native_int64(), $0.baseAddress) }
    try check(status, path, "H5Awrite '\(name)'")
  }
}
