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
  /// The projection names as UTF-8, compared with every key's last component but one (a name with a dot never
  /// is one whole component).
  private let projections: [(bytes: [UInt8], name: String, hasDot: Bool)]

  init(fusion: ExpertFusion, source: String) {
    self.fusion = fusion
    self.source = source
    projections = [fusion.gate, fusion.up, fusion.down].map { (Array($0.utf8), $0, $0.utf8.contains(UInt8(ascii: "."))) }
  }

  func fuse(_ keys: [(key: String, info: TensorInfo)], notes: inout [String]) throws(BaseModelError)
    -> [(key: String, info: TensorInfo)]
  {
    struct Group {
      var gate: ExpertSlots
      var up: ExpertSlots
      var down: ExpertSlots
      /// Sized for `experts` (every MoE block of a model has as many: the previous block's count saves
      /// growing each table from empty, a tenth of fusing a 128-expert checkpoint).
      init(experts: Int) {
        gate = ExpertSlots(capacity: experts)
        up = ExpertSlots(capacity: experts)
        down = ExpertSlots(capacity: experts)
      }
    }
    // Checkpoints list an owner's experts consecutively (files are sorted by name), so the last owner's
    // bytes are compared instead of hashing every key's owner; names are read in place, and a projection
    // is known by its position (a string made, compared or retained per key was half of fusing 18k keys).
    var groups: [Group] = []
    var groupIndex: [String: Int] = [:]
    var order: [String] = []
    var rest: [(key: String, info: TensorInfo)] = []
    var lastOwner: [UInt8] = []
    var lastGroup = -1
    for i in keys.indices {
      let parsed = keys[i].key.withUTF8Bytes { bytes -> (Int, Int, String?)? in
        guard let (ownerEnd, expert, projection) = parse(bytes) else { return nil }
        let owner = UnsafeBufferPointer(rebasing: bytes[..<ownerEnd])
        let sameOwner =
          lastGroup >= 0 && owner.count == lastOwner.count
          && (owner.isEmpty || memcmp(owner.baseAddress!, lastOwner, owner.count) == 0)
        return (expert, projection, sameOwner ? nil : String(decoding: owner, as: UTF8.self))
      }
      guard let (expert, projection, newOwner) = parsed else {
        rest.append(keys[i])
        continue
      }
      if let newOwner {
        if let existing = groupIndex[newOwner] {
          lastGroup = existing
        } else {
          lastGroup = groups.count
          groupIndex[newOwner] = lastGroup
          groups.append(Group(experts: groups.last?.down.count ?? 0))
          order.append(newOwner)
        }
        lastOwner = Array(newOwner.utf8)
      }
      switch projection {
      case 0: groups[lastGroup].gate.set(i, at: expert)
      case 1: groups[lastGroup].up.set(i, at: expert)
      default: groups[lastGroup].down.set(i, at: expert)
      }
    }
    guard !order.isEmpty else { return keys }
    /// The shape of an expert's entry, if it has one.
    func shape(_ slots: ExpertSlots, _ expert: Int) -> [Int]? { slots[expert].map { keys[$0].info.shape } }
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
      guard let g0 = group.gate[0].map({ keys[$0].info }), let d0 = group.down[0].map({ keys[$0].info }),
        g0.shape.count == 2, d0.shape.count == 2,
        (0..<count).allSatisfy({ shape(group.gate, $0) == g0.shape && shape(group.up, $0) == g0.shape
          && shape(group.down, $0) == d0.shape })
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

  /// `(end of the owner, expert index, projection's position)` for `<owner>.experts.<i>.<projection>.weight`,
  /// scanned on the UTF-8 bytes in place: this runs once per tensor of 19k-tensor MoE checkpoints.
  func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> (ownerEnd: Int, expert: Int, projection: Int)? {
    let dot = UInt8(ascii: ".")
    guard bytes.count > 16, Self.bytes(bytes, 0..<bytes.count, endWith: Self.weightSuffix) else { return nil }
    var end = bytes.count - Self.weightSuffix.count
    // The projection and `experts` are compared where they must end, right after a dot, rather than found by
    // scanning back for that dot (those scans were two fifths of this on a 19k-tensor MoE checkpoint).
    guard
      let projection = projections.firstIndex(where: { candidate in
        let start = end - candidate.bytes.count
        return !candidate.hasDot && start >= 1 && bytes[start - 1] == dot
          && Self.bytes(bytes, start..<end, equal: candidate.bytes)
      })
    else { return nil }
    end -= projections[projection].bytes.count + 1
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
    let expertsDot = end - Self.experts.count - 1
    guard expertsDot >= 0, bytes[expertsDot] == dot, Self.bytes(bytes, expertsDot + 1..<end, equal: Self.experts)
    else { return nil }
    return (expertsDot, index, projection)
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

/// One projection's per-expert entries (each its key's position) by expert index: in an array while the
/// indices stay within twice the entries seen (experts are numbered from 0; hashing each index was a quarter
/// of fusing 18k keys), in a table beyond, so a stray huge index costs no more memory than the entries
/// themselves. Positions, not the entries' infos: retaining and releasing each shape was a fifth of fusing.
struct ExpertSlots {
  private var dense: [Int?] = []
  private var sparse: [Int: Int] = [:]
  /// The number of distinct indices set.
  private(set) var count = 0

  init(capacity: Int) { dense.reserveCapacity(capacity) }

  subscript(expert: Int) -> Int? { expert < dense.count ? dense[expert] : sparse[expert] }

  /// Sets the entry of `expert`, replacing an earlier one (a repeated key: the last wins, as in a table).
  mutating func set(_ position: Int, at expert: Int) {
    if expert >= dense.count, expert <= 2 * count + 64 {
      // Indices now within the array's reach leave the table.
      for moved in dense.count...expert {
        dense.append(sparse.isEmpty ? nil : sparse.removeValue(forKey: moved))
      }
    }
    if expert < dense.count {
      if dense[expert] == nil { count += 1 }
      dense[expert] = position
    } else if sparse.updateValue(position, forKey: expert) == nil {
      count += 1
    }
  }
}
