#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The few file-system queries the readers need, without Foundation.
public enum FileSystem {
  /// What is at a path.
  public enum Kind: Sendable { case file, directory, other, missing }

  /// The kind of object at `path`, following symlinks unless `followLinks` is false (then a
  /// symlink is `.other`).
  public static func kind(of path: String, followLinks: Bool = true) -> Kind {
    var info = stat()
    guard (followLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return .missing }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .file
    case S_IFDIR: return .directory
    default: return .other
    }
  }

  /// What a path that is neither a regular file nor a folder is (`a FIFO`, `a character device`,
  /// `a socket`, `a block device`), for messages; `nil` for files, folders and missing paths.
  public static func specialKind(of path: String) -> String? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return specialKind(mode: info.st_mode)
  }

  static func specialKind(mode: mode_t) -> String? {
    switch mode & S_IFMT {
    case S_IFIFO: "a FIFO"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFSOCK: "a socket"
    case S_IFREG, S_IFDIR: nil
    default: "not a regular file"
    }
  }

  /// The path with every symlink resolved (`realpath`), or `nil` if it does not exist.
  public static func resolved(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
  }

  /// Whether `path`, with symlinks resolved, lies inside `folder` (also resolved). A symlink in a
  /// checkpoint folder that points elsewhere would make Adaptest read (and `convert` copy) a file
  /// the folder's author chose from the reader's machine.
  public static func staysInside(_ path: String, folder: String) -> Bool {
    // A name directly in `folder` that is not itself a symlink lies in it, whatever `folder` resolves
    // to: no `realpath`, which reads every component of both paths (a case's four files each asked).
    let folderPrefix = folder.hasSuffix("/") ? folder : folder + "/"
    if !folder.isEmpty, path.utf8.starts(with: folderPrefix.utf8) {
      let name = path.utf8.dropFirst(folderPrefix.utf8.count)
      let isOneName = !name.isEmpty && !name.contains(UInt8(ascii: "/")) && !name.elementsEqual("..".utf8)
        && !name.elementsEqual(".".utf8)
      var info = stat()
      if isOneName, lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFLNK { return true }
    }
    guard let target = resolved(path), let base = resolved(folder) else { return false }
    let prefix = base.hasSuffix("/") ? base : base + "/"
    return target.hasPrefix(prefix)
  }

  /// Whether a regular file exists at `path`.
  public static func isFile(_ path: String) -> Bool { kind(of: path) == .file }

  /// Reads a whole (small) file.
  /// - Throws: ``FileError``.
  public static func read(_ path: String) throws(FileError) -> [UInt8] {
    // Never nil without a limit.
    try read(path, atMost: .max) ?? []
  }

  /// The whole file, or `nil` if it holds more than `limit` bytes (told by the open file's size, before
  /// anything is read): one `open` and one `fstat`, where a `stat` of the path first cost a path walk more.
  public static func read(_ path: String, atMost limit: Int) throws(FileError) -> [UInt8]? {
    // `pread` into the array rather than a mapping copied out: for the small files this reads (configs,
    // lists, expectation files) mapping and unmapping cost more than the copy (`perf record` of a run).
    let (fd, info) = try openRegularFile(path)
    defer { close(fd) }
    let size = Int(info.st_size)
    guard size <= limit else { return nil }
    var failure: Int32 = 0
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
      while count < size {
        let n = pread(fd, buffer.baseAddress! + count, size - count, off_t(count))
        if n < 0 && errno == EINTR { continue }
        if n < 0 { failure = errno }
        guard n > 0 else { break }
        count += n
      }
    }
    if failure != 0 { throw FileError(operation: "read", path: path, errno: failure) }
    return bytes
  }

  /// Reads up to `count` bytes from the start of a file.
  public static func readPrefix(_ path: String, count: Int) throws(FileError) -> [UInt8] {
    let fd = try openRegular(path)
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
      let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, count - filled, off_t(filled)) }
      if n < 0 {
        if errno == EINTR { continue }
        throw FileError(operation: "read", path: path, errno: errno)
      }
      if n == 0 { break }
      filled += n
    }
    return Array(buffer[0..<filled])
  }

  /// Opens a regular file for reading. `O_NONBLOCK` keeps `open` of a FIFO from waiting for a writer
  /// forever; anything but a regular file is then refused, naming what it is.
  public static func openRegular(_ path: String) throws(FileError) -> Int32 {
    try openRegularFile(path).fd
  }

  /// ``openRegular(_:)`` and what `fstat` said of the file.
  static func openRegularFile(_ path: String) throws(FileError) -> (fd: Int32, info: stat) {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { throw FileError(operation: "open", path: path, errno: errno) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let code = errno
      close(fd)
      throw FileError(operation: "stat", path: path, errno: code)
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      close(fd)
      if (info.st_mode & S_IFMT) == S_IFDIR { throw FileError(operation: "open", path: path, errno: EISDIR) }
      throw FileError(
        operation: "open", path: path, errno: EINVAL,
        note: "\(specialKind(mode: info.st_mode) ?? "not a regular file"), not a regular file; refused")
    }
    // Regular files never block; clear the flag so reads behave as usual.
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    return (fd, info)
  }

  /// The names in a directory, sorted by their UTF-8 bytes.
  public static func contents(ofDirectory path: String) throws(FileError) -> [String] {
    guard let dir = opendir(path) else { throw FileError(operation: "opendir", path: path, errno: errno) }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  /// Creates a directory and its parents.
  public static func createDirectory(_ path: String) throws(FileError) {
    var current = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
      current += component + "/"
      if mkdir(current, 0o755) != 0 && errno != EEXIST {
        throw FileError(operation: "mkdir", path: current, errno: errno)
      }
    }
  }

  /// Removes a file, or a folder with everything in it, without following symbolic links; a
  /// missing path is not an error.
  public static func removeTree(_ path: String) throws(FileError) {
    switch kind(of: path, followLinks: false) {
    case .missing: return
    case .directory:
      for name in try contents(ofDirectory: path) { try removeTree(join(path, name)) }
      guard rmdir(path) == 0 else { throw FileError(operation: "rmdir", path: path, errno: errno) }
    default:
      guard unlink(path) == 0 else { throw FileError(operation: "unlink", path: path, errno: errno) }
    }
  }

  /// Joins path components with `/`.
  public static func join(_ base: String, _ components: String...) -> String {
    components.reduce(base) { path, next in
      path.isEmpty ? next : (path.hasSuffix("/") ? path + next : path + "/" + next)
    }
  }

  /// The last path component.
  public static func lastComponent(_ path: String) -> String {
    let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
    return trimmed.split(separator: "/").last.map(String.init) ?? trimmed
  }
}
