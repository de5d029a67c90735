import HDF5Checkpoint
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Paths of the repository, found from this file's location.
enum Repository {
  static let root: String = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
    return path
  }()
  static let fixtures = root + "/Tests/HDF5CheckpointTests/Fixtures"
  static let malformed = root + "/Corpus/malformed/hdf5"
}

/// A fresh temporary directory, removed with its files when the value is released.
final class TemporaryDirectory {
  let path: String

  init() {
    let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array("\(base)/adaptest-hdf5-XXXXXX".utf8CString)
    path = template.withUnsafeMutableBufferPointer { buffer in
      guard let start = buffer.baseAddress, let made = mkdtemp(start) else { fatalError("mkdtemp failed") }
      return String(cString: made)
    }
  }

  func file(_ name: String) -> String { path + "/" + name }

  deinit {
    if let names = try? FileSystem.contents(ofDirectory: path) {
      for name in names { unlink(path + "/" + name) }
    }
    rmdir(path)
  }
}

/// A small deterministic generator (SplitMix64) for test data.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func bytes(_ count: Int) -> [UInt8] {
    (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
  }
}

extension WritableTensor {
  /// A tensor whose payload is the given bytes.
  static func bytes(_ name: String, _ dtype: DType, _ shape: [Int], _ bytes: [UInt8]) -> WritableTensor {
    WritableTensor(
      name: name, info: TensorInfo(dtype: dtype, shape: shape), payload: .bytes(TensorBytes(OwnedBytes(bytes))))
  }
}

/// The error a body throws, as an HDF5CheckpointError (nil if it does not throw).
func hdf5Error(_ body: () throws -> Void) -> HDF5CheckpointError? {
  do {
    try body()
    return nil
  } catch let error as HDF5CheckpointError {
    return error
  } catch {
    return .library(file: "", object: "", operation: "unexpected error type", message: "\(error)")
  }
}
