import SystemSupport
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Tensor tables of small weights files already read by this process, by the files' bytes: the
/// generated matrix gives every pair folder its own copy of a base or adapter, and most are
/// byte-identical (5,658 HDF5 bases of the default run hold 38 distinct files, 5,659 HDF5 adapters
/// 627), while libhdf5 opening a tiny file and walking its objects was the largest part of a case
/// (`perf record` of a cached default run).
///
/// A table is a pure function of the file's bytes and the reader, so a file whose bytes equal a file
/// already read successfully gets that table, its entries pointing at the new path. Files that failed
/// to read are never kept (their errors name their own path), nor files larger than
/// ``maximumFileSize``; the memory kept is bounded by ``capacity`` bytes of file contents (a full
/// memo is emptied, as ``Memo`` does).
final class TablesByContent: Sendable {
  /// Files larger than this are read as they are, every time: hashing them would cost more than a
  /// tiny model's table saves, and real checkpoints are read once per case anyway.
  static let maximumFileSize = 4 << 20

  /// Bytes hashed at each end of a file (its length too; equality compares all of it).
  static let hashedEnds = 4096

  private struct Key: Hashable, Sendable {
    var reader: String
    var bytes: [UInt8]

    // Only the file's length and its two ends are hashed, as buffers: hashing every byte of every case's
    // files was a third of looking them up (`perf record` of a default run; `[UInt8]`'s own hashing, a
    // byte at a time, took longer than the read it saves). Equality still compares every byte (`memcmp`):
    // files that differ only in the middle share a bucket, never a table.
    func hash(into hasher: inout Hasher) {
      hasher.combine(reader)
      hasher.combine(bytes.count)
      bytes.withUnsafeBytes { all in
        let ends = TablesByContent.hashedEnds
        guard all.count > 2 * ends else { return hasher.combine(bytes: all) }
        hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: all[..<ends]))
        hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: all[(all.count - ends)...]))
      }
    }

    static func == (a: Key, b: Key) -> Bool {
      guard a.reader == b.reader, a.bytes.count == b.bytes.count else { return false }
      return a.bytes.withUnsafeBytes { x in
        b.bytes.withUnsafeBytes { y in
          guard let left = x.baseAddress, let right = y.baseAddress else { return true }  // both empty
          return memcmp(left, right, x.count) == 0
        }
      }
    }
  }

  private let tables = Locked<(byKey: [Key: TensorTable], bytes: Int)>(([:], 0))
  private let capacity: Int

  /// - Parameter capacity: the most file bytes kept as keys.
  init(capacity: Int = 256 << 20) {
    self.capacity = capacity
  }

  /// The table `read` gives for the file at `path` — read only when no file with the same bytes was
  /// read by the same `reader` before.
  func table(_ path: String, reader: String, read: () throws -> TensorTable) throws -> TensorTable {
    guard let bytes = Self.smallFileBytes(path) else { return try read() }
    let key = Key(reader: reader, bytes: bytes)
    // Entries name their file: the copy's are moved to it.
    if let known = tables.withLock({ $0.byKey[key] }) { return known.relocated(to: path) }
    let table = try read()
    // Kept only if the file still holds the bytes it was keyed by (it cannot have changed under the
    // reader unnoticed).
    guard bytes.count <= capacity, Self.smallFileBytes(path) == bytes else { return table }
    tables.withLock { memo in
      if memo.bytes + bytes.count > capacity {
        memo.byKey.removeAll(keepingCapacity: true)
        memo.bytes = 0
      }
      if memo.byKey.updateValue(table, forKey: key) == nil { memo.bytes += bytes.count }
    }
    return table
  }

  /// The whole file, if it is a regular file of at most ``maximumFileSize`` bytes.
  private static func smallFileBytes(_ path: String) -> [UInt8]? {
    (try? FileSystem.read(path, atMost: maximumFileSize)) ?? nil
  }
}
