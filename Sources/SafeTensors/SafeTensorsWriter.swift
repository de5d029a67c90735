#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import TensorIO

/// Writes safetensors files byte-for-byte as the Rust reference (and so Python `safetensors`)
/// does, except that `__metadata__` keys are sorted where the reference writes them in hash-map
/// order. Writes are atomic; `.hole` payloads stay holes of a sparse file; generated payloads are
/// written straight into the mapped file, so tensors larger than memory can be synthesized.
public struct SafeTensorsWriter: TensorFileWriter {
  public init() {}

  public var format: CheckpointFormat { .safetensors }

  /// Writes one file atomically. An empty `metadata` dictionary omits `__metadata__`.
  /// - Throws: ``SafeTensorsError``.
  public func write(_ tensors: [WritableTensor], metadata: [String: String], to path: String) throws {
    try write(tensors, declaredMetadata: metadata.isEmpty ? nil : metadata, to: path)
  }

  /// Writes one file atomically; `nil` metadata omits `__metadata__`, an empty one writes `{}`.
  /// - Throws: ``SafeTensorsError``.
  public func write(_ tensors: [WritableTensor], declaredMetadata: [String: String]?, to path: String)
    throws(SafeTensorsError)
  {
    let layout = try SafeTensorsLayout(tensors, metadata: declaredMetadata, path: path)
    do {
      try AtomicFile.write(to: path) { (fd) throws(FileError) in try Self.fill(fd: fd, layout: layout, path: path) }
    } catch {
      throw SafeTensorsError(file: path, kind: .io(error))
    }
  }

  /// The whole file in memory (holes as zeros), for small files and tests.
  /// - Throws: ``SafeTensorsError``.
  public static func serialize(_ tensors: [WritableTensor], metadata: [String: String]?) throws(SafeTensorsError)
    -> [UInt8]
  {
    let layout = try SafeTensorsLayout(tensors, metadata: metadata, path: "<memory>")
    var bytes = [UInt8](repeating: 0, count: layout.fileSize)
    bytes.withUnsafeMutableBytes { out in
      func copy(_ source: UnsafeRawBufferPointer, to offset: Int) {
        guard let base = source.baseAddress, !source.isEmpty else { return }
        (out.baseAddress! + offset).copyMemory(from: base, byteCount: source.count)
      }
      layout.prefix.withUnsafeBytes { copy($0, to: 0) }
      for placement in layout.placements {
        let start = layout.dataOffset + placement.dataOffsets.lowerBound
        switch placement.tensor.payload {
        case .bytes(let bytes): bytes.withUnsafeBytes { copy($0, to: start) }
        case .generate(let fill):
          fill(UnsafeMutableRawBufferPointer(rebasing: out[start..<start + placement.dataOffsets.count]))
        case .hole: break
        }
      }
    }
    return bytes
  }

  // MARK: File output

  private static func fill(fd: Int32, layout: SafeTensorsLayout, path: String) throws(FileError) {
    // Sizing the file first makes every unwritten range a hole.
    guard ftruncate(fd, off_t(layout.fileSize)) == 0 else { throw FileError(operation: "ftruncate", path: path, errno: errno) }
    try layout.prefix.withUnsafeBytes { raw in
      Result { () throws(FileError) in try writeAll(fd: fd, raw, at: 0, path: path) }
    }.get()
    for placement in layout.placements where !placement.dataOffsets.isEmpty {
      let offset = layout.dataOffset + placement.dataOffsets.lowerBound
      switch placement.tensor.payload {
      case .bytes(let bytes):
        try bytes.withUnsafeBytes { (raw) throws(FileError) in try writeAll(fd: fd, raw, at: offset, path: path) }
      case .generate(let generate):
        try generateInPlace(fd: fd, range: offset..<offset + placement.dataOffsets.count, path: path, generate)
      case .hole:
        break
      }
    }
  }

  private static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws(FileError) {
    var done = 0
    while done < bytes.count {
      let written = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
      if written < 0 {
        if errno == EINTR { continue }
        throw FileError(operation: "write", path: path, errno: errno)
      }
      done += written
    }
  }

  /// Maps the tensor's region of the file and lets `generate` write it directly.
  private static func generateInPlace(
    fd: Int32, range: Range<Int>, path: String, _ generate: (UnsafeMutableRawBufferPointer) -> Void
  ) throws(FileError) {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let mapStart = range.lowerBound / page * page
    let mapLength = range.upperBound - mapStart
    guard let mapped = mmap(nil, mapLength, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(mapStart)),
      mapped != MAP_FAILED
    else { throw FileError(operation: "mmap", path: path, errno: errno) }
    defer { munmap(mapped, mapLength) }
    generate(UnsafeMutableRawBufferPointer(start: mapped + (range.lowerBound - mapStart), count: range.count))
    guard msync(mapped, mapLength, MS_SYNC) == 0 else { throw FileError(operation: "msync", path: path, errno: errno) }
  }
}
