#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import TensorIO

/// A fast path for tensor entries written exactly as serde_json writes them (every known writer
/// does): `{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}` with no whitespace, no escapes,
/// fields in that order, and plain integers of at most 19 digits.
///
/// It either reads such an entry or gives up without consuming anything; the general parser then
/// reads the entry from the same place, so both paths accept and reject the same texts (anything
/// unusual, including every error, is left to the general path).
enum CanonicalEntry {
  struct Entry {
    var dtype: DType
    var shape: [Int]
    var begin: UInt64
    var end: UInt64
    /// Where the entry's text ends.
    var next: Int
  }

  /// Reads an object key written compactly, `"name":` (preceded by `,` unless `first`), whose
  /// content has no escapes and no control characters; `nil` for anything else (including the end
  /// of the object), which the general path then reads from the same place.
  static func key(_ bytes: UnsafeRawBufferPointer, at start: Int, first: Bool) -> (content: Range<Int>, next: Int)? {
    var position = start
    if !first {
      guard position < bytes.count, bytes[position] == UInt8(ascii: ",") else { return nil }
      position += 1
    }
    guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
    position += 1
    let contentStart = position
    guard let base = bytes.baseAddress,
      let quote = memchr(base + position, Int32(UInt8(ascii: "\"")), bytes.count - position)
    else { return nil }
    let contentEnd = base.distance(to: UnsafeRawPointer(quote))
    // Escapes and control characters are the general path's business.
    while position + 8 <= contentEnd {
      if JSONScanner.mayHaveSpecialByte(bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)) { return nil }
      position += 8
    }
    while position < contentEnd {
      let byte = bytes[position]
      guard byte != UInt8(ascii: "\\"), byte >= 0x20 else { return nil }
      position += 1
    }
    guard contentEnd + 1 < bytes.count, bytes[contentEnd + 1] == UInt8(ascii: ":") else { return nil }
    return (contentStart..<contentEnd, contentEnd + 2)
  }

  /// - Parameter recent: the parsing's scratch, its recent shapes (which an equal shape shares) and dtype.
  static func parse(_ bytes: UnsafeRawBufferPointer, at start: Int, recent: inout RecentParts) -> Entry? {
    var cursor = Cursor(bytes: bytes, position: start)
    guard cursor.literal(#"{"dtype":""#) else { return nil }
    let nameStart = cursor.position
    while cursor.position < bytes.count, bytes[cursor.position] != UInt8(ascii: "\"") {
      guard cursor.position - nameStart < DTypeNames.maxLength else { return nil }
      cursor.position += 1
    }
    guard cursor.position < bytes.count,
      let dtype = DTypeNames.lookup(UnsafeRawBufferPointer(rebasing: bytes[nameStart..<cursor.position]), recent: &recent.dtype)
    else { return nil }
    cursor.position += 1
    guard cursor.literal(#","shape":["#) else { return nil }
    recent.scratch.removeAll(keepingCapacity: true)
    if cursor.literal("]") {
      // rank 0
    } else {
      while true {
        guard let dimension = cursor.integer() else { return nil }
        recent.scratch.append(Int(bitPattern: UInt(dimension)))
        if cursor.literal(",") { continue }
        guard cursor.literal("]") else { return nil }
        break
      }
    }
    guard cursor.literal(#","data_offsets":["#), let begin = cursor.integer(), cursor.literal(","),
      let end = cursor.integer(), cursor.literal("]}")
    else { return nil }
    return Entry(dtype: dtype, shape: recent.sharedScratch(), begin: begin, end: end, next: cursor.position)
  }

  private struct Cursor {
    let bytes: UnsafeRawBufferPointer
    var position: Int

    /// Consumes `text` if the bytes at the cursor are exactly it.
    @inline(__always)
    mutating func literal(_ text: StaticString) -> Bool {
      let count = text.utf8CodeUnitCount
      guard count <= bytes.count - position, memcmp(bytes.baseAddress! + position, text.utf8Start, count) == 0 else {
        return false
      }
      position += count
      return true
    }

    /// A JSON integer of 1 to 19 digits (so it cannot overflow), without a leading zero, followed
    /// by `,` or `]`; anything else (longer numbers, fractions, signs) is left to the general path.
    @inline(__always)
    mutating func integer() -> UInt64? {
      let start = position
      var value: UInt64 = 0
      // Eight digits at a time while they last (at most twice: 16 digits, then bytes up to 19).
      #if _endian(little)
        while position - start <= 8, bytes.count - position >= 8 {
          let word = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
          guard Self.allDigits(word) else { break }
          value = value &* 100_000_000 &+ Self.eightDigits(word)
          position += 8
        }
      #endif
      while position < bytes.count, position - start < 19 {
        let digit = bytes[position] &- UInt8(ascii: "0")
        guard digit < 10 else { break }
        value = value &* 10 &+ UInt64(digit)
        position += 1
      }
      let length = position - start
      guard length > 0, length == 1 || bytes[start] != UInt8(ascii: "0"), position < bytes.count,
        bytes[position] == UInt8(ascii: ",") || bytes[position] == UInt8(ascii: "]")
      else { return nil }
      return value
    }

    /// Whether all eight bytes are ASCII digits.
    @inline(__always)
    static func allDigits(_ word: UInt64) -> Bool {
      (word & 0xF0F0_F0F0_F0F0_F0F0) | (((word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4)
        == 0x3333_3333_3333_3333
    }

    /// The value of eight ASCII digits loaded little-endian (first digit in the lowest byte).
    @inline(__always)
    static func eightDigits(_ word: UInt64) -> UInt64 {
      var value = word &- 0x3030_3030_3030_3030
      value = (value &* 10) &+ (value >> 8)
      value = (((value & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32)))
        &+ (((value >> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32)))) >> 32
      return value
    }
  }
}

/// The shapes and the dtype a header's entries had lately: a checkpoint repeats a handful of shapes (a
/// Qwen3-30B-A3B header's 18,867 entries have nine), so an entry shares an equal recent shape's storage instead
/// of allocating its own; and nearly always one dtype, tried first.
struct RecentParts {
  /// Where the parser collects a shape's dimensions.
  var scratch: [Int] = []
  /// The dtype the last entry named.
  var dtype: DTypeNames.Match?
  private var recent: [[Int]] = []
  private var next = 0
  private static let kept = 8

  /// `scratch` as a shape: an equal recent one, else a new array that becomes recent.
  mutating func sharedScratch() -> [Int] {
    if scratch.isEmpty { return [] }
    for shape in recent where shape == scratch { return shape }
    let shape = Array(scratch)
    if recent.count < Self.kept {
      recent.append(shape)
    } else {
      recent[next] = shape
      next = (next + 1) % Self.kept
    }
    return shape
  }
}
