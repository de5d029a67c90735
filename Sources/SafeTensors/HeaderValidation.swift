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
  /// - Parameter entries: shapes hold the bit patterns of the dimensions read.
  static func validate(_ entries: [TensorEntry], _ offsets: [RawOffsets]) throws(SafeTensorsError.Kind) -> Layout {
    var sorted = true
    for index in offsets.indices.dropFirst()
    where (offsets[index - 1].begin, offsets[index - 1].end) > (offsets[index].begin, offsets[index].end) {
      sorted = false
      break
    }
    let order: [Int]? =
      sorted ? nil : offsets.indices.sorted { (offsets[$0].begin, offsets[$0].end, $0) < (offsets[$1].begin, offsets[$1].end, $1) }

    var start: UInt64 = 0
    for position in offsets.indices {
      let index = order?[position] ?? position
      let (begin, end) = (offsets[index].begin, offsets[index].end)
      guard begin == start, end >= begin else { throw .invalidOffset(tensor: entries[index].name) }
      start = end
      var elements: UInt64 = 1
      var fitsInt = true
      for dimension in entries[index].info.shape {
        let (product, overflow) = elements.multipliedReportingOverflow(by: UInt64(UInt(bitPattern: dimension)))
        guard !overflow else { throw .validationOverflow(tensor: entries[index].name) }
        elements = product
        fitsInt = fitsInt && dimension >= 0
      }
      let (bits, overflow) = elements.multipliedReportingOverflow(by: UInt64(entries[index].info.dtype.bitWidth))
      guard !overflow else { throw .validationOverflow(tensor: entries[index].name) }
      guard bits % 8 == 0 else { throw .misalignedSlice(tensor: entries[index].name) }
      guard end - begin == bits / 8 else { throw .tensorInvalidInfo(tensor: entries[index].name) }
      // Not in the reference: a dimension above Int.max can only pass the checks above when
      // another dimension is 0, and no Swift (or NumPy, or PyTorch) shape can hold it.
      guard fitsInt else { throw .validationOverflow(tensor: entries[index].name) }
    }
    return Layout(order: order, dataEnd: start)
  }
}
