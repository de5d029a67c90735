import SystemSupport
import TensorIO

extension Corpus {
  /// ``Corpus/hash`` of the corpus at `root` (matrix included) from the files alone, without decoding
  /// a case or expanding the matrix: milliseconds where ``load(root:vocabulary:extraCaseIDs:matrix:)``
  /// takes seconds (`adaptest --version`).
  /// - Throws: ``FileError`` when the folder cannot be read.
  public static func fileHash(root: String) throws(FileError) -> String {
    var hasher = SHA256()
    let casesRoot = FileSystem.join(root, "cases")
    guard FileSystem.kind(of: casesRoot) == .directory else {
      throw FileError(operation: "open corpus cases folder", path: casesRoot, errno: 2)
    }
    // The same files in the same order as `load`: cases, the matrix's own hash, expectations, malformed files.
    for relative in try files(under: casesRoot) {
      hash("cases/" + relative, try FileSystem.read(FileSystem.join(casesRoot, relative)), into: &hasher)
    }
    let matrix = FileSystem.join(root, MatrixCases.file)
    if FileSystem.isFile(matrix) {
      var matrixHasher = SHA256()
      matrixHasher.update(try FileSystem.read(matrix))
      hasher.update(MatrixCases.file)
      hasher.update([0])
      hasher.update(matrixHasher.finalize())
    }
    for folder in ["expectations", "malformed"] {
      let path = FileSystem.join(root, folder)
      guard FileSystem.kind(of: path) == .directory else { continue }
      for relative in try files(under: path) {
        hash(folder + "/" + relative, try FileSystem.read(FileSystem.join(path, relative)), into: &hasher)
      }
    }
    return hasher.finalize()
  }
}
