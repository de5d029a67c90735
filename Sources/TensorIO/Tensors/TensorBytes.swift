/// Storage that owns bytes a ``TensorBytes`` view points into.
public protocol ByteStorage: AnyObject, Sendable {
  /// The whole storage; valid while the object is alive.
  var bytes: UnsafeRawBufferPointer { get }
}

extension MappedFile: ByteStorage {}

/// Heap-owned bytes, for formats that cannot be viewed in place (HDF5) or for generated data.
public final class OwnedBytes: ByteStorage {
  nonisolated(unsafe) private let base: UnsafeMutableRawBufferPointer

  /// Takes a copy of `bytes` in stable heap memory.
  public init(_ bytes: some Collection<UInt8>) {
    base = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(bytes.count, 1), alignment: 64)
    base.copyBytes(from: bytes)
    count = bytes.count
  }

  /// Allocates `count` zeroed bytes and lets `fill` write them.
  public init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
    base = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(count, 1), alignment: 64)
    base.initializeMemory(as: UInt8.self, repeating: 0)
    self.count = count
    try fill(UnsafeMutableRawBufferPointer(rebasing: base[0..<count]))
  }

  private let count: Int

  deinit { base.deallocate() }

  public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: base[0..<count]) }
}

/// A view of one tensor's raw little-endian bytes, zero-copy when the storage is a mapped file.
public struct TensorBytes: Sendable {
  /// What keeps the bytes alive.
  public let storage: any ByteStorage
  /// The range inside the storage.
  public let range: Range<Int>

  public init(storage: any ByteStorage, range: Range<Int>) {
    precondition(range.lowerBound >= 0 && range.upperBound <= storage.bytes.count, "range outside storage")
    self.storage = storage
    self.range = range
  }

  /// Wraps all of `storage`.
  public init(_ storage: any ByteStorage) {
    self.init(storage: storage, range: 0..<storage.bytes.count)
  }

  /// The number of bytes.
  public var count: Int { range.count }

  /// Calls `body` with the bytes; the storage stays alive for the call.
  public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try withExtendedLifetime(storage) { () throws(E) -> R in
      try body(UnsafeRawBufferPointer(rebasing: storage.bytes[range]))
    }
  }

  /// After a streaming copy: lets a memory-mapped file's pages of these bytes go (see
  /// ``MappedFile/release(_:)``); nothing for bytes in owned memory.
  public func releasePages() {
    (storage as? MappedFile)?.release(range)
  }

  /// A copy as an array, for tests and small tensors.
  public var array: [UInt8] { withUnsafeBytes { Array($0) } }
}
