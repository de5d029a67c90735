import TensorIO

/// The reference's `Metadata::validate`: tensors sorted by `data_offsets`, then walked from 0.
enum HeaderValidation {
  /// The result of a successful walk.
  struct Layout {
    /// Indices into the entries, in offset order; `nil` when that is header order.
    var order: [Int]?
    /// Where the last tensor ends, relative to the data section.
    var dataEnd: UInt64
  }

  /// Checks, per tensor in offset order and in the reference's order: contiguity
  /// (`invalidOffset`), element and bit counts (`validationOverflow`), whole bytes
  /// (`misalignedSlice`), and byte length (`tensorInvalidInfo`).
  ///
  /// The reference sorts a hash map's entries with a stable sort, so the order of entries with
  /// identical offsets is random there; here ties keep header order.
  static func validate(_ entries: [HeaderEntry]) throws(SafeTensorsError.Kind) -> Layout {
    var keys: [(begin: UInt64, end: UInt64, index: Int)] = []
    keys.reserveCapacity(entries.count)
    var sorted = true
    for (index, entry) in entries.enumerated() {
      if let last = keys.last, (last.begin, last.end) > (entry.begin, entry.end) { sorted = false }
      keys.append((entry.begin, entry.end, index))
    }
    if !sorted { keys.sort { ($0.begin, $0.end, $0.index) < ($1.begin, $1.end, $1.index) } }

    var start: UInt64 = 0
    for key in keys {
      let entry = entries[key.index]
      guard key.begin == start, key.end >= key.begin else { throw .invalidOffset(tensor: entry.name) }
      start = key.end
      var elements: UInt64 = 1
      for dimension in entry.shape {
        let (product, overflow) = elements.multipliedReportingOverflow(by: UInt64(UInt(bitPattern: dimension)))
        guard !overflow else { throw .validationOverflow(tensor: entry.name) }
        elements = product
      }
      let (bits, overflow) = elements.multipliedReportingOverflow(by: UInt64(entry.dtype.bitWidth))
      guard !overflow else { throw .validationOverflow(tensor: entry.name) }
      guard bits % 8 == 0 else { throw .misalignedSlice(tensor: entry.name) }
      guard key.end - key.begin == bits / 8 else { throw .tensorInvalidInfo(tensor: entry.name) }
      // Not in the reference: a dimension above Int.max can only pass the checks above when
      // another dimension is 0, and no Swift (or NumPy, or PyTorch) shape can hold it.
      guard entry.shape.allSatisfy({ $0 >= 0 }) else { throw .validationOverflow(tensor: entry.name) }
    }
    return Layout(order: sorted ? nil : keys.map(\.index), dataEnd: start)
  }
}
