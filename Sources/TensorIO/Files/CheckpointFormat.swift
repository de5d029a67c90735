/// The checkpoint formats Adaptest reads and writes.
public enum CheckpointFormat: String, Sendable, Hashable, CaseIterable, Codable {
  case safetensors
  case hdf5

  /// The usual file extension, without the dot.
  public var fileExtension: String {
    switch self {
    case .safetensors: "safetensors"
    case .hdf5: "h5"
    }
  }
}

/// What a file's first bytes say it is. Sniffing goes by content; the extension only breaks ties
/// for files too short or too damaged to recognise, so a malformed `.safetensors` file still gets
/// the safetensors reader's precise error.
public enum SniffedFormat: Sendable, Hashable, CustomStringConvertible {
  case safetensors
  case hdf5
  /// A PyTorch `torch.save` zip archive (`pytorch_model.bin`, `adapter_model.bin`).
  case pytorchZip
  /// A raw Python pickle (legacy `torch.save`).
  case pickle
  case unknown

  /// Recognises a file from its first bytes (4 KiB is plenty) and, failing that, its name.
  public static func sniff(prefix: UnsafeRawBufferPointer, fileName: String = "") -> SniffedFormat {
    if hasHDF5Signature(prefix) { return .hdf5 }
    // safetensors before pickle: a header length of 0x0?80 starts like a pickle (0x80, protocol 2…5),
    // but a pickle never has `{` where a safetensors header starts.
    if looksLikeSafeTensors(prefix) { return .safetensors }
    if prefix.count >= 4, prefix[0] == 0x50, prefix[1] == 0x4B, prefix[2] == 0x03, prefix[3] == 0x04 {
      return .pytorchZip
    }
    if prefix.count >= 2, prefix[0] == 0x80, (2...5).contains(prefix[1]) { return .pickle }
    if fileName.hasSuffix(".safetensors") { return .safetensors }
    if fileName.hasSuffix(".h5") || fileName.hasSuffix(".hdf5") { return .hdf5 }
    if fileName.hasSuffix(".bin") || fileName.hasSuffix(".pt") || fileName.hasSuffix(".pth") { return .pickle }
    return .unknown
  }

  /// Reads the start of the file at `path` and sniffs it.
  public static func sniff(path: String) throws(FileError) -> SniffedFormat {
    let prefix = try FileSystem.readPrefix(path, count: 4096)
    return prefix.withUnsafeBytes { sniff(prefix: $0, fileName: FileSystem.lastComponent(path)) }
  }

  // The HDF5 superblock signature sits at 0 or, after a user block, at 512, 1024, 2048, …
  private static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

  private static func hasHDF5Signature(_ prefix: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset + 8 <= prefix.count {
      if prefix[offset..<offset + 8].elementsEqual(hdf5Signature) { return true }
      offset = offset == 0 ? 512 : offset * 2
    }
    return false
  }

  private static func looksLikeSafeTensors(_ prefix: UnsafeRawBufferPointer) -> Bool {
    guard prefix.count > 8 else { return false }
    var i = 8
    while i < prefix.count, [0x20, 0x09, 0x0A, 0x0D].contains(prefix[i]) { i += 1 }
    return i < prefix.count && prefix[i] == UInt8(ascii: "{")
  }

  public var description: String {
    switch self {
    case .safetensors: "safetensors"
    case .hdf5: "HDF5"
    case .pytorchZip: "PyTorch zip checkpoint"
    case .pickle: "Python pickle"
    case .unknown: "unknown"
    }
  }
}
