import TensorIO

/// A tensor's `data_offsets` as read (the reference reads `usize`), before validation.
struct RawOffsets: Sendable, Hashable {
  var begin: UInt64
  var end: UInt64
}

/// A header after JSON decoding (the reference's `HashMetadata`), before validation.
struct ParsedHeader: Sendable {
  /// Entries in header order; with `lastWins` a repeated name keeps only its last entry.
  ///
  /// Their shapes hold the bit patterns of the `UInt64` values read (so a dimension above `Int.max`
  /// is negative until validation rejects it) and their `dataOffsets` are `nil` until validation
  /// fills them in from ``offsets``; built this way, the validated entries become the table
  /// without being copied.
  var entries: [TensorEntry]
  /// Each entry's offsets, as read.
  var offsets: [RawOffsets]
  /// `__metadata__`: `nil` when absent or `null`.
  var metadata: [String: String]?
  /// With `reject`, the first tensor name seen twice.
  var firstDuplicate: String?
  /// With `reject`, the first `__metadata__` key seen twice.
  var firstDuplicateMetadataKey: String?
  /// Name → index into `entries`; `nil` when `lastWins` dropped entries (indices moved).
  var index: TensorNameIndex?
}

/// Decodes a safetensors header as serde does in the reference (`HashMetadata` with a flattened
/// tensor map), on top of ``JSONScanner``.
///
/// The caller has validated the header as UTF-8, as the reference does before parsing, so strings
/// are not re-validated. Every failure is a ``JSONError``, which the reader reports as
/// `invalidHeaderDeserialization`.
struct HeaderParser {
  /// serde_json's recursion limit of 128 fails on *reaching* the 128th level, so 127 levels is the
  /// deepest it accepts.
  static let depthLimit = 127

  private var scanner: JSONScanner
  private let options: SafeTensorsReadOptions
  private let file: String
  private var recent = RecentParts()

  /// - Parameter file: the path recorded in every entry.
  init(header: UnsafeRawBufferPointer, options: SafeTensorsReadOptions, file: String) {
    scanner = JSONScanner(bytes: header, depthLimit: Self.depthLimit)
    self.options = options
    self.file = file
  }

  mutating func parse() throws(JSONError) -> ParsedHeader {
    guard let first = scanner.peek() else { throw JSONError(.unexpectedEnd, at: scanner.position) }
    guard first == UInt8(ascii: "{") else {
      throw JSONError(.typeMismatch(expected: "an object", field: "the header"), at: scanner.position)
    }
    try scanner.beginObject()
    var result = ParsedHeader(entries: [], offsets: [], metadata: nil)
    // Real entries take 100 bytes or more; reserving for that many avoids rehashing every name as
    // the table grows. The estimate is bounded by the header's real size, already checked.
    let estimate = scanner.bytes.count / 96
    var index = TensorNameIndex(capacity: estimate)
    var removed: Set<Int> = []
    var entries: [TensorEntry] = []
    entries.reserveCapacity(estimate)
    var offsets: [RawOffsets] = []
    offsets.reserveCapacity(estimate)
    var sawMetadata = false
    var isFirst = true
    while let key = try nextKey(first: isFirst) {
      isFirst = false
      if scanner.content(of: key, equals: "__metadata__") {
        let at = scanner.position
        guard !sawMetadata else { throw JSONError(.typeMismatch(expected: "one __metadata__ field", field: "__metadata__"), at: at) }
        sawMetadata = true
        result.metadata = try parseMetadata(&result.firstDuplicateMetadataKey)
        continue
      }
      let name = string(key)
      let (info, rawOffsets) = try parseEntry(name: name)
      // One hash per name: insert and learn about a previous entry at once.
      if let previous = index.insert(name, at: entries.count, in: entries) {
        switch options.duplicateKeys {
        case .reject:
          if result.firstDuplicate == nil { result.firstDuplicate = name }
        case .lastWins:
          removed.insert(previous)
          index.move(name, to: entries.count, in: entries)
        }
      }
      entries.append(TensorEntry(name: name, info: info, dataOffsets: nil, file: file))
      offsets.append(rawOffsets)
    }
    try scanner.expectEnd()
    if removed.isEmpty {
      result.entries = entries
      result.offsets = offsets
      result.index = result.firstDuplicate == nil ? index : nil
    } else {
      let kept = entries.indices.filter { !removed.contains($0) }
      result.entries = kept.map { entries[$0] }
      result.offsets = kept.map { offsets[$0] }
    }
    return result
  }

  // MARK: Parts

  /// The next top-level key: through ``CanonicalEntry/key(_:at:first:)`` when it is written
  /// compactly, otherwise through the scanner (same result, any form).
  private mutating func nextKey(first: Bool) throws(JSONError) -> JSONScanner.RawString? {
    if let key = CanonicalEntry.key(scanner.bytes, at: scanner.position, first: first) {
      scanner.position = key.next
      return .span(key.content)
    }
    return try scanner.nextRawKey(first: first)
  }

  private mutating func parseMetadata(_ firstDuplicate: inout String?) throws(JSONError) -> [String: String]? {
    if try scanner.readNullIfPresent() { return nil }
    guard try scanner.peekToken() == .object else {
      throw JSONError(.typeMismatch(expected: "an object of strings or null", field: "__metadata__"), at: scanner.position)
    }
    try scanner.beginObject()
    var metadata: [String: String] = [:]
    var isFirst = true
    while let key = try scanner.nextRawKey(first: isFirst) {
      isFirst = false
      let name = string(key)
      guard try scanner.peekToken() == .string else {
        throw JSONError(.typeMismatch(expected: "a string", field: "__metadata__.\(name)"), at: scanner.position)
      }
      let value = string(try scanner.readRawString())
      if metadata.updateValue(value, forKey: name) != nil, firstDuplicate == nil, options.duplicateKeys == .reject {
        firstDuplicate = name
      }
    }
    return metadata
  }

  private mutating func parseEntry(name: String) throws(JSONError) -> (TensorInfo, RawOffsets) {
    scanner.skipWhitespace()
    if let entry = CanonicalEntry.parse(scanner.bytes, at: scanner.position, recent: &recent) {
      scanner.position = entry.next
      return (TensorInfo(dtype: entry.dtype, shape: entry.shape), RawOffsets(begin: entry.begin, end: entry.end))
    }
    switch try scanner.peekToken() {
    case .object: return try parseEntryObject(name: name)
    case .array where options.acceptsSerdeAlternateForms: return try parseEntryArray(name: name)
    default:
      throw JSONError(.typeMismatch(expected: "an object with dtype, shape and data_offsets", field: name), at: scanner.position)
    }
  }

  private mutating func parseEntryObject(name: String) throws(JSONError) -> (TensorInfo, RawOffsets) {
    let start = scanner.position
    try scanner.beginObject()
    var dtype: DType?
    var shape: [Int]?
    var offsets: (UInt64, UInt64)?
    var isFirst = true
    while let key = try scanner.nextRawKey(first: isFirst) {
      isFirst = false
      let at = scanner.position
      if scanner.content(of: key, equals: "dtype") {
        guard dtype == nil else { throw duplicateField("dtype", of: name, at: at) }
        dtype = try parseDType(name: name)
      } else if scanner.content(of: key, equals: "shape") {
        guard shape == nil else { throw duplicateField("shape", of: name, at: at) }
        shape = try parseShape(name: name)
      } else if scanner.content(of: key, equals: "data_offsets") {
        guard offsets == nil else { throw duplicateField("data_offsets", of: name, at: at) }
        offsets = try parseOffsets(name: name)
      } else {
        // Unknown fields are ignored, as serde does without `deny_unknown_fields`.
        try scanner.skipValue()
      }
    }
    guard let dtype else { throw missingField("dtype", of: name, at: start) }
    guard let shape else { throw missingField("shape", of: name, at: start) }
    guard let offsets else { throw missingField("data_offsets", of: name, at: start) }
    return (TensorInfo(dtype: dtype, shape: shape), RawOffsets(begin: offsets.0, end: offsets.1))
  }

  /// serde also reads a struct from a sequence of its fields in declaration order.
  private mutating func parseEntryArray(name: String) throws(JSONError) -> (TensorInfo, RawOffsets) {
    let start = scanner.position
    func wrongLength() -> JSONError {
      JSONError(.typeMismatch(expected: "3 elements (dtype, shape, data_offsets)", field: name), at: start)
    }
    try scanner.beginArray()
    guard try scanner.hasNextElement(first: true) else { throw wrongLength() }
    let dtype = try parseDType(name: name)
    guard try scanner.hasNextElement(first: false) else { throw wrongLength() }
    let shape = try parseShape(name: name)
    guard try scanner.hasNextElement(first: false) else { throw wrongLength() }
    let offsets = try parseOffsets(name: name)
    guard try !scanner.hasNextElement(first: false) else { throw wrongLength() }
    return (TensorInfo(dtype: dtype, shape: shape), RawOffsets(begin: offsets.0, end: offsets.1))
  }

  private mutating func parseDType(name: String) throws(JSONError) -> DType {
    let at = scanner.position
    switch try scanner.peekToken() {
    case .string:
      let raw = try scanner.readRawString()
      guard let dtype = dtype(raw) else { throw unknownDType(raw, of: name, at: at) }
      return dtype
    case .object where options.acceptsSerdeAlternateForms:
      // A unit enum variant may also be written `{"F32": null}`.
      try scanner.beginObject()
      guard let raw = try scanner.nextRawKey(first: true) else {
        throw JSONError(.typeMismatch(expected: "a dtype", field: "\(name).dtype"), at: at)
      }
      guard let dtype = dtype(raw) else { throw unknownDType(raw, of: name, at: at) }
      guard try scanner.readNullIfPresent(), try scanner.nextRawKey(first: false) == nil else {
        throw JSONError(.typeMismatch(expected: "a dtype", field: "\(name).dtype"), at: at)
      }
      return dtype
    default:
      throw JSONError(.typeMismatch(expected: "a dtype name", field: "\(name).dtype"), at: at)
    }
  }

  private mutating func parseShape(name: String) throws(JSONError) -> [Int] {
    guard try scanner.peekToken() == .array else {
      throw JSONError(.typeMismatch(expected: "an array of non-negative integers", field: "\(name).shape"), at: scanner.position)
    }
    try scanner.beginArray()
    var shape: [Int] = []
    shape.reserveCapacity(4)
    var isFirst = true
    while try scanner.hasNextElement(first: isFirst) {
      isFirst = false
      shape.append(Int(bitPattern: UInt(try scanner.readUInt64(field: "\(name).shape"))))
    }
    return shape
  }

  private mutating func parseOffsets(name: String) throws(JSONError) -> (UInt64, UInt64) {
    let at = scanner.position
    func wrong() -> JSONError {
      JSONError(.typeMismatch(expected: "an array of 2 non-negative integers", field: "\(name).data_offsets"), at: at)
    }
    guard try scanner.peekToken() == .array else { throw wrong() }
    try scanner.beginArray()
    guard try scanner.hasNextElement(first: true) else { throw wrong() }
    let begin = try scanner.readUInt64(field: "\(name).data_offsets")
    guard try scanner.hasNextElement(first: false) else { throw wrong() }
    let end = try scanner.readUInt64(field: "\(name).data_offsets")
    guard try !scanner.hasNextElement(first: false) else { throw wrong() }
    return (begin, end)
  }

  // MARK: Helpers

  private func string(_ raw: JSONScanner.RawString) -> String {
    scanner.withContent(of: raw) { String(decoding: $0, as: UTF8.self) }
  }

  private func dtype(_ raw: JSONScanner.RawString) -> DType? {
    scanner.withContent(of: raw) { DTypeNames.lookup($0) }
  }

  private func unknownDType(_ raw: JSONScanner.RawString, of name: String, at offset: Int) -> JSONError {
    JSONError(.typeMismatch(expected: "a known dtype, not '\(string(raw))'", field: "\(name).dtype"), at: offset)
  }

  private func duplicateField(_ field: String, of name: String, at offset: Int) -> JSONError {
    JSONError(.typeMismatch(expected: "one '\(field)' field", field: name), at: offset)
  }

  private func missingField(_ field: String, of name: String, at offset: Int) -> JSONError {
    JSONError(.typeMismatch(expected: "a '\(field)' field", field: name), at: offset)
  }
}
