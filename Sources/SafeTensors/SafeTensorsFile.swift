import TensorIO

/// A safetensors file opened for reading: the header is parsed and validated as strictly as the
/// Rust reference does, and tensor bytes are zero-copy views of a memory-mapped file (so files
/// larger than memory work; only the pages touched are read).
///
/// ```swift
/// let file = try SafeTensorsFile(path: "adapter_model.safetensors")
/// for entry in file.tensors { print(entry.name, entry.info) }
/// let bytes = try file.bytes(of: "base_model.model.lm_head.lora_A.weight")
/// ```
///
/// ``tensors`` lists tensors in **offset order**, the order the reference returns them in
/// (`offset_keys()`); ``headerOrder`` keeps the order the header wrote them in.
public struct SafeTensorsFile: TensorFileReader {
  /// The reference's `MAX_HEADER_SIZE`.
  public static let maxHeaderLength: UInt64 = 100_000_000

  public let path: String
  public var format: CheckpointFormat { .safetensors }
  /// Tensors in offset order. Each entry's `dataOffsets` is relative to ``dataOffset``.
  public let tensors: TensorTable
  /// Tensor names in the order the header lists them (after resolving repeats with `lastWins`).
  public var headerOrder: [String] { headerOrderIfDifferent ?? tensors.names }
  // Kept only when it differs from offset order, which writers make rare.
  private let headerOrderIfDifferent: [String]?
  /// `__metadata__`; empty when the header has none.
  public var metadata: [String: String] { declaredMetadata ?? [:] }
  /// `__metadata__` as declared: `nil` when the field is absent or `null`.
  public let declaredMetadata: [String: String]?
  /// The header length `N` from the first 8 bytes (including any padding).
  public let headerLength: Int
  /// Where the data section starts: `8 + N`.
  public var dataOffset: Int { 8 + headerLength }
  /// The bytes of the whole file.
  public let storage: any ByteStorage

  /// Maps and validates the file at `path`.
  /// - Throws: ``SafeTensorsError`` naming the file and, where there is one, the tensor.
  public init(path: String, options: SafeTensorsReadOptions = .strict) throws(SafeTensorsError) {
    let mapped: MappedFile
    do {
      mapped = try MappedFile(path: path)
    } catch {
      throw SafeTensorsError(file: path, kind: .io(error))
    }
    // The header is read whole: map it in one step. N is only a hint here; prefault clamps it to
    // the file, and the reader checks it properly.
    if mapped.count >= 8 {
      let claimed = mapped.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
      // Nothing is paged in for a claim over the limit: that header is refused unread (it used to
      // page in 100 MB first).
      if claimed <= SafeTensorsFile.maxHeaderLength {
        mapped.prefault(0..<8 + Int(min(claimed, UInt64(mapped.count - 8))))
      }
    }
    try self.init(storage: mapped, path: path, options: options)
    // The header now lives in `tensors`: its pages (2.5 MB for a 19k-tensor MoE base) need not stay in
    // the process while the model is built from it; a later read of them pages the file in again.
    mapped.release(0..<min(dataOffset, mapped.count))
  }

  /// Validates a safetensors image held in `storage` (a mapped file or bytes in memory).
  /// - Parameter path: the name to report in errors.
  /// - Throws: ``SafeTensorsError``.
  public init(storage: any ByteStorage, path: String, options: SafeTensorsReadOptions = .strict)
    throws(SafeTensorsError)
  {
    try self.init(storage: storage, fileSize: storage.bytes.count, path: path, options: options)
  }

  /// Validates a file of which only the first bytes are at hand — the 8-byte length and the
  /// header, as an HTTP range request fetches them — against its full size: every check of
  /// ``init(path:options:)`` is made, the data section's extent included, without the data.
  /// ``bytes(of:)`` then fails for any tensor whose bytes lie beyond `prefix`.
  /// - Parameters:
  ///   - prefix: the file's first bytes; at least `8 + N`.
  ///   - fileSize: the whole file's size in bytes.
  ///   - path: the name to report in errors.
  /// - Throws: ``SafeTensorsError``; ``SafeTensorsError/Kind/invalidHeaderLength(headerLength:fileSize:)``
  ///   when `prefix` is shorter than the header it announces.
  public init(headerPrefix prefix: any ByteStorage, fileSize: Int, path: String, options: SafeTensorsReadOptions = .strict)
    throws(SafeTensorsError)
  {
    try self.init(storage: prefix, fileSize: max(fileSize, prefix.bytes.count), path: path, options: options)
  }

  private init(storage: any ByteStorage, fileSize: Int, path: String, options: SafeTensorsReadOptions)
    throws(SafeTensorsError)
  {
    self.path = path
    self.storage = storage
    self.fileSize = fileSize
    let result = withExtendedLifetime(storage) {
      Result { () throws(SafeTensorsError.Kind) in
        try Self.read(storage.bytes, fileSize: fileSize, options: options, path: path)
      }
    }
    switch result {
    case .success(let contents):
      tensors = contents.tensors
      headerOrderIfDifferent = contents.headerOrder
      declaredMetadata = contents.metadata
      headerLength = contents.headerLength
    case .failure(let kind):
      throw SafeTensorsError(file: path, kind: kind)
    }
  }

  /// The file's size in bytes (for a header-only file, the size it was validated against).
  public let fileSize: Int

  /// A zero-copy view of one tensor's bytes.
  /// - Throws: ``SafeTensorsError/Kind/tensorNotFound(tensor:)``, also for a tensor whose bytes
  ///   a header-only file does not hold.
  public func bytes(of name: String) throws(SafeTensorsError) -> TensorBytes {
    guard let entry = tensors[name], let offsets = entry.dataOffsets,
      dataOffset + offsets.upperBound <= storage.bytes.count
    else {
      throw SafeTensorsError(file: path, kind: .tensorNotFound(tensor: name))
    }
    return TensorBytes(storage: storage, range: dataOffset + offsets.lowerBound..<dataOffset + offsets.upperBound)
  }

  // MARK: Reading

  private struct Contents {
    var tensors: TensorTable
    var headerOrder: [String]?
    var metadata: [String: String]?
    var headerLength: Int
  }

  /// The reference's `read_metadata`, check by check and in its order.
  /// `buffer` is the file, or its first bytes when `fileSize` is larger (a header-only read).
  private static func read(
    _ buffer: UnsafeRawBufferPointer, fileSize: Int, options: SafeTensorsReadOptions, path: String
  ) throws(SafeTensorsError.Kind) -> Contents {
    guard buffer.count >= 8 else { throw .headerTooSmall }
    let claimed = UInt64(littleEndian: buffer.loadUnaligned(as: UInt64.self))
    guard claimed <= maxHeaderLength else { throw .headerTooLarge(headerLength: claimed) }
    let headerLength = Int(claimed)
    guard headerLength <= fileSize - 8 else {
      throw .invalidHeaderLength(headerLength: claimed, fileSize: fileSize)
    }
    // Only a header-only read can have the header announced but not at hand.
    guard headerLength <= buffer.count - 8 else {
      throw .invalidHeaderLength(headerLength: claimed, fileSize: buffer.count)
    }
    let header = UnsafeRawBufferPointer(rebasing: buffer[8..<8 + headerLength])
    if let offset = UTF8Validation.firstInvalidOffset(header) { throw .invalidHeader(offset: offset) }

    var parser = HeaderParser(header: header, options: options, file: path)
    var parsed: ParsedHeader
    do {
      parsed = try parser.parse()
    } catch {
      throw .invalidHeaderDeserialization(error.description)
    }
    if let name = parsed.firstDuplicate { throw .duplicateKey(tensor: name) }
    if let key = parsed.firstDuplicateMetadataKey { throw .duplicateMetadataKey(key) }

    let layout = try HeaderValidation.validate(parsed.entries, parsed.offsets)
    let (fileEnd, overflow) = layout.dataEnd.addingReportingOverflow(UInt64(8 + headerLength))
    guard !overflow, fileEnd == UInt64(fileSize) else {
      throw .metadataIncompleteBuffer(dataEnd: overflow ? .max : fileEnd, fileSize: fileSize)
    }

    // Every offset and dimension is now known to fit: offsets end within the file, dimensions were
    // checked by the validation.
    // Moved out, so that filling in the offsets does not copy the array.
    var entries = parsed.entries
    parsed.entries = []
    for index in entries.indices {
      entries[index].dataOffsets = Int(parsed.offsets[index].begin)..<Int(parsed.offsets[index].end)
    }
    let table: TensorTable
    let headerOrder: [String]?
    if let order = layout.order {
      headerOrder = entries.map(\.name)
      var reordered = TensorTable()
      // Names are unique here, so appending cannot fail.
      for index in order { try? reordered.append(entries[index]) }
      table = reordered
    } else if let index = parsed.index {
      // Header order is offset order, as every known writer produces: reuse the parser's index.
      headerOrder = nil
      table = TensorTable(entries: entries, index: index)
    } else {
      headerOrder = nil
      var rebuilt = TensorTable()
      for entry in entries { try? rebuilt.append(entry) }
      table = rebuilt
    }
    return Contents(
      tensors: table, headerOrder: headerOrder, metadata: parsed.metadata, headerLength: headerLength)
  }
}
