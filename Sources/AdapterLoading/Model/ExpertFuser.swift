import TensorIO

/// transformers v5's MoE conversion: `….experts.<i>.<gate>.weight` + `<up>` → `….experts.gate_up_proj`
/// `(E, 2·I, H)`, and `<down>` → `….experts.down_proj` `(E, H, I)`.
struct ExpertFuser {
  let fusion: ExpertFusion
  let source: String

  func fuse(_ keys: [(String, TensorInfo)], notes: inout [String]) throws(BaseModelError) -> [(String, TensorInfo)] {
    struct Group {
      var gate: [Int: TensorInfo] = [:]
      var up: [Int: TensorInfo] = [:]
      var down: [Int: TensorInfo] = [:]
    }
    // Checkpoints list an owner's experts consecutively (files are sorted by name), so the last
    // owner is remembered instead of hashing every key's owner.
    var groups: [Group] = []
    var groupIndex: [String: Int] = [:]
    var order: [String] = []
    var rest: [(String, TensorInfo)] = []
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
          groups.append(Group())
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

  /// `(owner, expert index, projection)` for `<owner>.experts.<i>.<projection>.weight` (scanned on UTF-8
  /// bytes: this runs once per tensor of 19k-tensor MoE checkpoints). The owner string is only built
  /// when it differs from `previousOwner` (consecutive keys share it).
  private func parse(_ key: String, previousOwner: String) -> (String, Int, String)? {
    let utf8 = key.utf8
    guard utf8.count > 16, key.hasSuffix(".weight") else { return nil }
    let dot = UInt8(ascii: ".")
    var end = utf8.index(utf8.endIndex, offsetBy: -7)  // before ".weight"
    guard let projectionDot = utf8[..<end].lastIndex(of: dot) else { return nil }
    let projectionBytes = utf8[utf8.index(after: projectionDot)..<end]
    let projection: String
    if projectionBytes.elementsEqual(fusion.gate.utf8) {
      projection = fusion.gate
    } else if projectionBytes.elementsEqual(fusion.up.utf8) {
      projection = fusion.up
    } else if projectionBytes.elementsEqual(fusion.down.utf8) {
      projection = fusion.down
    } else {
      return nil
    }
    end = projectionDot
    guard let indexDot = utf8[..<end].lastIndex(of: dot) else { return nil }
    var index = 0
    var digits = 0
    for b in utf8[utf8.index(after: indexDot)..<end] {
      guard b >= 0x30 && b <= 0x39, digits < 9 else { return nil }
      index = index * 10 + Int(b - 0x30)
      digits += 1
    }
    guard digits > 0 else { return nil }
    end = indexDot
    guard let expertsDot = utf8[..<end].lastIndex(of: dot),
      utf8[utf8.index(after: expertsDot)..<end].elementsEqual("experts".utf8)
    else { return nil }
    let ownerBytes = utf8[..<expertsDot]
    let owner = ownerBytes.elementsEqual(previousOwner.utf8) ? previousOwner : String(decoding: ownerBytes, as: UTF8.self)
    return (owner, index, projection)
  }
}
