#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import TensorIO

/// A fresh folder under the system's temporary directory, removed with everything in it on deinit.
final class TemporaryDirectory {
  let path: String

  init() {
    var template = Array("/tmp/adaptest-conformance-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  func file(_ relative: String) -> String { FileSystem.join(path, relative) }

  /// Writes `text` to a path relative to the folder, creating parent folders.
  @discardableResult
  func write(_ relative: String, _ text: String) throws -> String {
    try write(relative, Array(text.utf8))
  }

  @discardableResult
  func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
    let full = file(relative)
    if let slash = full.lastIndex(of: "/") { try FileSystem.createDirectory(String(full[..<slash])) }
    try AtomicFile.write(bytes, to: full)
    return full
  }

  func read(_ relative: String) throws -> String {
    String(decoding: try FileSystem.read(file(relative)), as: UTF8.self)
  }

  deinit { remove(path) }

  private func remove(_ path: String) {
    if FileSystem.kind(of: path, followLinks: false) == .directory {
      for name in (try? FileSystem.contents(ofDirectory: path)) ?? [] { remove(FileSystem.join(path, name)) }
      rmdir(path)
    } else {
      unlink(path)
    }
  }
}

/// The repository's folders, found from this file's path (no absolute paths in the sources).
enum Repository {
  static let root: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    // …/Tests/ConformanceTests/TemporaryDirectory.swift → …
    parts.removeLast(3)
    return parts.joined(separator: "/")
  }()

  static var corpus: String { root + "/Corpus" }
}
