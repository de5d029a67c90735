import TensorIO
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `FileSystem.read` (`pread` into an array) gives a file's bytes exactly, and refuses what is not a
/// regular file with the error naming it.
@Suite("Reading whole files")
struct FileReadTests {
  /// Sizes about a page and about the size up to which a `MappedFile` reads rather than maps.
  @Test(arguments: [0, 1, 4095, 4096, 4097, 262_143, 262_144, 262_145, 300_000])
  func readsEveryByte(size: Int) throws {
    let dir = TemporaryDirectory()
    let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
    let path = dir.file("data.bin")
    try AtomicFile.write(bytes, to: path)
    #expect(try FileSystem.read(path) == bytes)
    #expect(try MappedFile(path: path).withUnsafeBytes { Array($0) } == bytes, "the same bytes as a mapping")
  }

  /// A limit refuses a larger file before reading it, and reads one of at most the limit whole.
  @Test(arguments: [0, 1, 4096, 4097])
  func readsAtMostALimit(size: Int) throws {
    let dir = TemporaryDirectory()
    let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
    let path = dir.file("data.bin")
    try AtomicFile.write(bytes, to: path)
    #expect(try FileSystem.read(path, atMost: size) == bytes)
    #expect(try FileSystem.read(path, atMost: 4096) == (size <= 4096 ? bytes : nil))
    if size > 0 { #expect(try FileSystem.read(path, atMost: size - 1) == nil) }
    #expect(throws: FileError(operation: "open", path: dir.path, errno: EISDIR)) { try FileSystem.read(dir.path, atMost: 1) }
    let fifo = dir.file("fifo")
    #expect(mkfifo(fifo, 0o600) == 0)
    #expect(throws: FileError.self) { try FileSystem.read(fifo, atMost: 1) }
  }

  @Test func missingFilesAndFoldersAreErrorsNamingThem() throws {
    let dir = TemporaryDirectory()
    let missing = dir.file("missing.json")
    #expect(throws: FileError(operation: "open", path: missing, errno: ENOENT)) { try FileSystem.read(missing) }
    #expect(throws: FileError(operation: "open", path: dir.path, errno: EISDIR)) { try FileSystem.read(dir.path) }
  }

  @Test func readJSONParsesTheFile() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("config.json")
    try AtomicFile.write(text: #"{"model_type": "llama", "layers": [1, 2]}"#, to: path)
    let json = try readJSON(path: path)
    #expect(json.objectValue?["model_type"]?.stringValue == "llama")
    try AtomicFile.write(text: "{", to: path)
    #expect(throws: LayoutError.self) { try readJSON(path: path) }
  }

  /// Files already parsed are kept by content: the same bytes give the same value, other bytes at the
  /// same path their own, and a broken file is an error naming its path every time it is read.
  @Test func parsedFilesAreKeptByContentOnly() throws {
    let dir = TemporaryDirectory()
    let (a, b) = (dir.file("a.json"), dir.file("b.json"))
    let text = #"{"model_type": "llama", "r": 8, "nested": {"x": [1.5, null, true]}}"#
    try AtomicFile.write(text: text, to: a)
    try AtomicFile.write(text: text, to: b)
    let expected = try JSONValue.parse(text)
    #expect(try readJSON(path: a) == expected)
    #expect(try readJSON(path: b) == expected)
    try AtomicFile.write(text: #"{"model_type": "llama", "r": 16}"#, to: a)
    #expect(try readJSON(path: a) == JSONValue.parse(#"{"model_type": "llama", "r": 16}"#))
    #expect(try readJSON(path: b) == expected)
    for path in [a, b] {
      try AtomicFile.write(text: #"{"r": "#, to: path)
      for _ in 0..<2 {
        #expect {
          try readJSON(path: path)
        } throws: { error in
          guard case LayoutError.invalidJSON(let named, _) = error else { return false }
          return named == path
        }
      }
    }
  }
}

/// `FileSystem.staysInside` answers for a plain file directly in the folder without resolving paths;
/// the answers are those of resolving both.
@Suite("Paths inside a folder")
struct StaysInsideTests {
  @Test func answersAsResolvingBoth() throws {
    let dir = TemporaryDirectory()
    let folder = dir.file("folder")
    let outside = dir.file("outside.json")
    try FileSystem.createDirectory(folder)
    try FileSystem.createDirectory(FileSystem.join(folder, "sub"))
    try AtomicFile.write(text: "{}", to: outside)
    try AtomicFile.write(text: "{}", to: FileSystem.join(folder, "config.json"))
    try AtomicFile.write(text: "{}", to: FileSystem.join(folder, "sub", "deeper.json"))
    #expect(symlink(outside, FileSystem.join(folder, "escape.json")) == 0)
    #expect(symlink(FileSystem.join(folder, "config.json"), FileSystem.join(folder, "alias.json")) == 0)
    #expect(symlink(folder, dir.file("linked-folder")) == 0)
    let cases: [(String, String, Bool)] = [
      (FileSystem.join(folder, "config.json"), folder, true),
      (FileSystem.join(folder, "config.json"), folder + "/", true),
      (FileSystem.join(folder, "sub", "deeper.json"), folder, true),
      (FileSystem.join(folder, "sub"), folder, true),
      (FileSystem.join(folder, "escape.json"), folder, false),
      (FileSystem.join(folder, "alias.json"), folder, true),
      (FileSystem.join(folder, "missing.json"), folder, false),
      (FileSystem.join(folder, ".."), folder, false),
      (FileSystem.join(folder, "."), folder, false),
      (dir.file("linked-folder/config.json"), dir.file("linked-folder"), true),
      (dir.file("linked-folder/escape.json"), dir.file("linked-folder"), false),
      (outside, folder, false),
    ]
    for (path, base, inside) in cases {
      #expect(FileSystem.staysInside(path, folder: base) == inside, "\(path) in \(base)")
      // What resolving both paths says.
      let resolved = FileSystem.resolved(path).flatMap { target in
        FileSystem.resolved(base).map { target.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
      } ?? false
      #expect(resolved == inside, "\(path) in \(base), resolved")
    }
  }
}
