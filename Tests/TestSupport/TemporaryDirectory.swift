import SystemSupport
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A fresh folder for one test, removed with everything in it when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
  public let path: String

  /// - Parameter label: part of the folder's name, to tell leftovers apart.
  public init(_ label: String = "test") {
    var template = Array(FileSystem.join(TemporaryFolder.base(), "adaptest-\(label)-XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed in \(TemporaryFolder.base())")
    path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  deinit { try? FileSystem.removeTree(path) }

  /// A path inside the folder: `file("a", "b.json")` is `PATH/a/b.json`.
  public func file(_ components: String...) -> String { components.reduce(path) { FileSystem.join($0, $1) } }

  /// Writes `text` to a path relative to the folder, creating parent folders.
  @discardableResult
  public func write(_ relative: String, _ text: String) throws -> String { try write(relative, Array(text.utf8)) }

  @discardableResult
  public func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
    let full = file(relative)
    if let slash = full.lastIndex(of: "/") { try FileSystem.createDirectory(String(full[..<slash])) }
    try AtomicFile.write(bytes, to: full)
    return full
  }

  public func read(_ relative: String) throws -> String {
    String(decoding: try FileSystem.read(file(relative)), as: UTF8.self)
  }
}
