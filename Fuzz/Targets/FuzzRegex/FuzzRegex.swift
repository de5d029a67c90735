import FuzzSupport
import TensorIO

// The input is a pattern, a NUL byte, then a text (all of it a pattern if there is no NUL): what an
// adapter config's `target_modules` or an expectation file's `match` meets. Every input must end
// within the step budget, whatever the pattern.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegex(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let bytes = fuzzBytes(start, count)
  let split = bytes.firstIndex(of: 0) ?? bytes.count
  let pattern = String(decoding: bytes[..<split], as: UTF8.self)
  let text = split < bytes.count ? String(decoding: bytes[(split + 1)...], as: UTF8.self) : "model.layers.0.self_attn.q_proj"
  do {
    let regex = try BoundedRegex(pattern, budget: 200_000)
    for attempt in 0..<3 {
      do {
        switch attempt {
        case 0: consume(try regex.fullMatch(text))
        case 1: consume(try regex.prefixMatch(text).map { ($0.groupCount, $0.group(0)) })
        default: consume(try regex.firstMatch(text)?.group(0))
        }
      } catch {
        consume(error.description)
      }
    }
  } catch {
    consume(error.description)
  }
  return 0
}
