import TensorIO

/// Where every part of a safetensors file goes, computed before anything is written: the same
/// tensors and metadata always give the same bytes, and the same bytes as the Rust writer.
public struct SafeTensorsLayout: Sendable {
  /// One tensor placed in the file.
  public struct Placement: Sendable {
    public var tensor: WritableTensor
    /// Byte range relative to the data section (the header's `data_offsets`).
    public var dataOffsets: Range<Int>
  }

  /// The first 8 bytes and the header JSON, padded with spaces to a multiple of 8.
  public var prefix: [UInt8]
  /// Tensors in file order: dtype alignment descending (``DType`` order reversed), then name by
  /// UTF-8 bytes, as the reference's `prepare` sorts them.
  public var placements: [Placement]
  /// Where the data section starts.
  public var dataOffset: Int { prefix.count }
  /// The size of the whole file.
  public var fileSize: Int

  /// Plans a file.
  /// - Parameters:
  ///   - metadata: `__metadata__`; `nil` omits the field, an empty dictionary writes `{}`. Keys are
  ///     written sorted by UTF-8 bytes (the reference writes a hash map in random order).
  ///   - path: the name to report in errors.
  /// - Throws: ``SafeTensorsError``: `duplicateKey`, `validationOverflow`, `misalignedSlice`,
  ///   `tensorInvalidInfo` (negative dimension), `invalidTensorView` (a payload of the wrong size),
  ///   `headerTooLarge`.
  public init(_ tensors: [WritableTensor], metadata: [String: String]?, path: String) throws(SafeTensorsError) {
    func fail(_ kind: SafeTensorsError.Kind) -> SafeTensorsError { SafeTensorsError(file: path, kind: kind) }

    var seen = Set<String>()
    for tensor in tensors where !seen.insert(tensor.name).inserted { throw fail(.duplicateKey(tensor: tensor.name)) }
    let ordered = tensors.sorted { left, right in
      left.info.dtype != right.info.dtype
        ? left.info.dtype > right.info.dtype : left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
    }

    var placements: [Placement] = []
    placements.reserveCapacity(ordered.count)
    var offset = 0
    for tensor in ordered {
      let byteCount: Int
      do {
        byteCount = try tensor.info.byteCount()
      } catch {
        switch error {
        case .overflow: throw fail(.validationOverflow(tensor: tensor.name))
        case .misaligned: throw fail(.misalignedSlice(tensor: tensor.name))
        case .negativeDimension: throw fail(.tensorInvalidInfo(tensor: tensor.name))
        }
      }
      if case .bytes(let bytes) = tensor.payload, bytes.count != byteCount {
        throw fail(.invalidTensorView(tensor: tensor.name, byteCount: bytes.count))
      }
      let (end, overflow) = offset.addingReportingOverflow(byteCount)
      guard !overflow else { throw fail(.validationOverflow(tensor: tensor.name)) }
      placements.append(Placement(tensor: tensor, dataOffsets: offset..<end))
      offset = end
    }

    var header = Array(Self.headerJSON(placements, metadata: metadata).utf8)
    let padded = (header.count + 7) / 8 * 8
    header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padded - header.count))
    guard UInt64(header.count) <= SafeTensorsFile.maxHeaderLength else {
      throw fail(.headerTooLarge(headerLength: UInt64(header.count)))
    }
    let length = UInt64(header.count)
    prefix = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + header
    self.placements = placements
    let (size, overflow) = prefix.count.addingReportingOverflow(offset)
    guard !overflow else { throw fail(.validationOverflow(tensor: placements.last?.tensor.name ?? "")) }
    fileSize = size
  }

  /// Compact JSON as serde_json writes the reference's `Metadata`: `__metadata__` first, then the
  /// tensors in file order, fields `dtype`, `shape`, `data_offsets`.
  static func headerJSON(_ placements: [Placement], metadata: [String: String]?) -> String {
    var out = "{"
    var first = true
    if let metadata {
      out += #""__metadata__":{"#
      let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      for (i, key) in keys.enumerated() {
        if i > 0 { out += "," }
        JSONWriter.writeString(key, into: &out)
        out += ":"
        JSONWriter.writeString(metadata[key] ?? "", into: &out)
      }
      out += "}"
      first = false
    }
    for placement in placements {
      if !first { out += "," }
      first = false
      JSONWriter.writeString(placement.tensor.name, into: &out)
      out += #":{"dtype":""#
      out += placement.tensor.info.dtype.name
      out += #"","shape":["#
      out += placement.tensor.info.shape.map(String.init).joined(separator: ",")
      out += #"],"data_offsets":["#
      out += "\(placement.dataOffsets.lowerBound),\(placement.dataOffsets.upperBound)]}"
    }
    out += "}"
    return out
  }
}
