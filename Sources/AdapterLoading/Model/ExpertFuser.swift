#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import TensorIO

/// transformers v5's MoE conversion: `….experts.<i>.<gate>.weight` + `<up>` → `….experts.gate_up_proj`
/// `(E, 2·I, H)`, and `<down>` → `….experts.down_proj` `(E, H, I)`.
struct ExpertFuser {
  let fusion: ExpertFusion
  let source: String
  /// The projection names as UTF-8, compared with every key's last component but one.
  private let projections: [(bytes: [UInt8], name: String)]

  init(fusion: ExpertFusion, source: String) {
    self.fusion = fusion
    self.source = source
    projections = [fusion.gate, fusion.up, fusion.down].map { (Array($0.utf8), $0) }
  }

  func fuse(_ keys: [(key: String, info: TensorInfo)], notes: inout [String]) throws(BaseModelError)
    -> [(key: String, info: TensorInfo)]
  {
    struct Group {
      var gate: [Int: TensorInfo]
      var up: [Int: TensorInfo]
      var down: [Int: TensorInfo]
      /// Sized for `experts` (every MoE block of a model has as many: the previous block's count saves
      /// growing each table from empty, a tenth of fusing a 128-expert checkpoint).
      init(experts: Int) {
        gate = Dictionary(minimumCapacity: experts)
        up = Dictionary(minimumCapacity: experts)
        down = Dictionary(minimumCapacity: experts)
      }
    }
    // Checkpoints list an owner's experts consecutively (files are sorted by name), so the last
    // owner is remembered instead of hashing every key's owner.
    var groups: [Group] = []
    var groupIndex: [String: Int] = [:]
    var order: [String] = []
    var rest: [(key: String, info: TensorInfo)] = []
    var lastOwner = ""
    var lastGroup = -1
    for (key, info) in keys {
      guard let (owner, expert, projection) = parse(key, previousOwner: lastOwner) else {
        rest.append((key, info))
        continue
      }
      if owner != lastOwner || lastGroup < 0 {
        if let existing = groupIndex[owner] {
          lastGroup = existing
        } else {
          lastGroup = groups.count
          groupIndex[owner] = lastGroup
          groups.append(Group(experts: groups.last?.down.count ?? 0))
          order.append(owner)
        }
        lastOwner = owner
      }
      switch projection {
      case fusion.gate: groups[lastGroup].gate[expert] = info
      case fusion.up: groups[lastGroup].up[expert] = info
      default: groups[lastGroup].down[expert] = info
      }
    }
    guard !order.isEmpty else { return keys }
    for (owner, group) in zip(order, groups) {
      let count = group.down.count
      let subject = "\(owner).experts"
      guard count > 0, group.gate.count == count, group.up.count == count,
        (0..<count).allSatisfy({ group.gate[$0] != nil && group.up[$0] != nil && group.down[$0] != nil })
      else {
        throw BaseModelError(
          source: source, subject: subject,
          detail: "per-expert weights are incomplete (\(group.gate.count) \(fusion.gate), \(group.up.count) "
            + "\(fusion.up), \(group.down.count) \(fusion.down))")
      }
      guard let g0 = group.gate[0], let d0 = group.down[0], g0.shape.count == 2, d0.shape.count == 2,
        (0..<count).allSatisfy({ group.gate[$0]?.shape == g0.shape && group.up[$0]?.shape == g0.shape
          && group.down[$0]?.shape == d0.shape })
      else {
        throw BaseModelError(source: source, subject: subject, detail: "experts have inconsistent shapes")
      }
      let (twice, overflow) = g0.shape[0].multipliedReportingOverflow(by: 2)
      guard !overflow else { throw BaseModelError(source: source, subject: subject, detail: "shape overflows") }
      rest.append(("\(owner).experts.gate_up_proj", TensorInfo(dtype: g0.dtype, shape: [count, twice, g0.shape[1]])))
      rest.append(("\(owner).experts.down_proj", TensorInfo(dtype: d0.dtype, shape: [count] + d0.shape)))
    }
    notes.append("fused the per-expert weights of \(order.count) MoE block(s) into 3-D parameters, as transformers 5 does")
    return rest
  }

  /// `(owner, expert index, projection)` for `<owner>.experts.<i>.<projection>.weight`, scanned on the
  /// UTF-8 bytes in place: this runs once per tensor of 19k-tensor MoE checkpoints. The owner string is
  /// only built when it differs from `previousOwner` (consecutive keys share it).
  private func parse(_ key: String, previousOwner: String) -> (String, Int, String)? {
    var key = key
    return key.withUTF8 { bytes in
      var previous = previousOwner
      return previous.withUTF8 { previousBytes in parse(bytes, previousOwner: previousOwner, previousBytes) }
    }
  }

  private func parse(
    _ bytes: UnsafeBufferPointer<UInt8>, previousOwner: String, _ previousBytes: UnsafeBufferPointer<UInt8>
  ) -> (String, Int, String)? {
    let dot = UInt8(ascii: ".")
    guard bytes.count > 16, Self.bytes(bytes, 0..<bytes.count, endWith: Self.weightSuffix) else { return nil }
    var end = bytes.count - Self.weightSuffix.count
    guard let projectionDot = Self.lastIndex(of: dot, in: bytes, before: end) else { return nil }
    guard let projection = projections.first(where: { Self.bytes(bytes, projectionDot + 1..<end, equal: $0.bytes) })?.name
    else { return nil }
    end = projectionDot
    guard let indexDot = Self.lastIndex(of: dot, in: bytes, before: end) else { return nil }
    var index = 0
    var digits = 0
    for position in indexDot + 1..<end {
      let b = bytes[position]
      guard b >= 0x30 && b <= 0x39, digits < 9 else { return nil }
      index = index * 10 + Int(b - 0x30)
      digits += 1
    }
    guard digits > 0 else { return nil }
    end = indexDot
    guard let expertsDot = Self.lastIndex(of: dot, in: bytes, before: end),
      Self.bytes(bytes, expertsDot + 1..<end, equal: Self.experts)
    else { return nil }
    let ownerBytes = UnsafeBufferPointer(rebasing: bytes[..<expertsDot])
    let sameOwner =
      ownerBytes.count == previousBytes.count
      && (ownerBytes.isEmpty || memcmp(ownerBytes.baseAddress!, previousBytes.baseAddress!, ownerBytes.count) == 0)
    let owner = sameOwner ? previousOwner : String(decoding: ownerBytes, as: UTF8.self)
    return (owner, index, projection)
  }

  private static let weightSuffix = Array(".weight".utf8)
  private static let experts = Array("experts".utf8)

  private static func lastIndex(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, before end: Int) -> Int? {
    var i = end - 1
    while i >= 0 {
      if bytes[i] == byte { return i }
      i -= 1
    }
    return nil
  }

  private static func bytes(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, equal text: [UInt8]) -> Bool {
    guard range.count == text.count, let base = bytes.baseAddress else { return range.isEmpty && text.isEmpty }
    return memcmp(base + range.lowerBound, text, text.count) == 0
  }

  private static func bytes(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, endWith suffix: [UInt8]) -> Bool {
    range.count >= suffix.count && Self.bytes(bytes, range.upperBound - suffix.count..<range.upperBound, equal: suffix)
  }
}
