#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import SafeTensors
import TensorIO

/// Builds safetensors images byte by byte, so expectations come from construction.
enum TestImages {
  /// `N` (little-endian), the header text, then `data`.
  static func image(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> [UInt8] {
    let text = Array(header.utf8)
    return littleEndian(headerLength ?? UInt64(text.count)) + text + data
  }

  static func littleEndian(_ value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
  }

  /// Reads an in-memory image.
  static func read(_ bytes: [UInt8], options: SafeTensorsReadOptions = .strict) throws(SafeTensorsError)
    -> SafeTensorsFile
  {
    try SafeTensorsFile(storage: OwnedBytes(bytes), path: "memory.safetensors", options: options)
  }

  /// The error kind reading `bytes` gives, or `nil` if it reads.
  static func errorKind(_ bytes: [UInt8], options: SafeTensorsReadOptions = .strict) -> SafeTensorsError.Kind? {
    do {
      _ = try read(bytes, options: options)
      return nil
    } catch {
      return error.kind
    }
  }
}
