import SafeTensors
import TensorIO
import TestSupport
import Testing

/// The header must be UTF-8 before it is parsed, and the error reports where it stops being so
/// (Rust's `Utf8Error::valid_up_to`). Expectations come from the standard library's validator.
@Suite struct HeaderUTF8Tests {
  /// Byte strings biased towards the tricky lead and continuation bytes.
  static func randomBytes(_ generator: inout SeededGenerator) -> [UInt8] {
    let interesting: [UInt8] = [0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0xA0, 0x8F, 0x90]
    let count = Int.random(in: 0...24, using: &generator)
    return (0..<count).map { _ in
      Bool.random(using: &generator) ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0x20...0x7E, using: &generator)
    }
  }

  @Test func invalidHeaderIffTheStandardLibraryRejectsIt() {
    var generator = SeededGenerator(seed: 0x5AFE)
    for _ in 0..<20_000 {
      let text = Self.randomBytes(&generator)
      // Put the bytes inside a JSON string so valid UTF-8 parses as an (unknown) extra key.
      let header = Array("{\"".utf8) + text.map { $0 == 0x22 || $0 == 0x5C ? 0x20 : $0 } + Array("\":null}".utf8)
      let image = TestImages.littleEndian(UInt64(header.count)) + header
      let kind = TestImages.errorKind(image)
      if let valid = String(validating: header, as: UTF8.self) {
        #expect(kind?.code != "invalidHeader", "\(valid.debugDescription)")
      } else {
        guard case .invalidHeader(let offset) = kind else {
          Issue.record("expected invalidHeader for \(header)")
          continue
        }
        #expect(String(validating: header[..<offset], as: UTF8.self) != nil)
        // The longest valid prefix: extending it by any of the next 1...4 bytes stays invalid.
        for extra in 1...4 where offset + extra <= header.count {
          #expect(String(validating: header[..<(offset + extra)], as: UTF8.self) == nil)
        }
      }
    }
  }
}
