import HDF5Checkpoint
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

/// The validator's reports kept by the bytes they answer for (``HDF5Validator/keptReports``): the real
/// validator behind a shell wrapper that logs each start, so that a test can tell a kept answer from a
/// child process.
@Suite("HDF5 validation reports kept by bytes")
struct KeptValidationReportsTests {
  /// A temporary folder holding the kept reports, the start log and the files opened.
  final class Setup: Sendable {
    let folder = TemporaryDirectory("kept-reports")
    var reports: String { folder.file("reports") }
    var log: String { folder.file("starts.log") }

    /// The isolation policy whose validator first logs its start, then runs `command` (by default the
    /// real validator) with the validator's arguments.
    func isolation(running command: String? = nil, limits: HDF5Validator.Limits = .init()) throws -> HDF5Isolation {
      let adaptest = try #require(ExternalCommand.adaptest, "the adaptest executable is built next to the test binary")
      let run = command ?? "exec '\(adaptest)' _hdf5-validate \"$@\""
      let script = "echo started >> '\(log)'; \(run)"
      return .childProcess(
        HDF5Validator(executable: "/bin/sh", arguments: ["-c", script, "validator"], limits: limits, keptReports: reports))
    }

    /// How many validator processes have started.
    var starts: Int {
      guard let bytes = try? FileSystem.read(log) else { return 0 }
      return bytes.filter { $0 == UInt8(ascii: "\n") }.count
    }

    /// A copy of `source` at `name` in the folder: a file this process did not write with HDF5Writer.
    func copy(_ source: String, to name: String) throws -> String {
      let path = folder.file(name)
      try AtomicFile.write(try FileSystem.read(source), to: path)
      return path
    }

    /// A copy of the layout fixture at `name`, opened once through `isolation` (so validated, and its
    /// report kept).
    func validatedCopy(_ name: String, through isolation: HDF5Isolation) throws -> (path: String, file: HDF5File) {
      let path = try copy(KeptValidationReportsTests.layoutFixture, to: name)
      return (path, try HDF5File(path: path, isolation: isolation))
    }

    var keptFiles: [String] { (try? FileSystem.contents(ofDirectory: reports)) ?? [] }
  }

  static let layoutFixture = IsolationTests.layoutFixture

  @Test("bytes validated once are answered from the kept report, under any path, with the same contents")
  func keptUnderAnyPath() throws {
    let setup = Setup()
    let isolation = try setup.isolation()
    let first = try setup.validatedCopy("first.h5", through: isolation).path
    #expect(setup.starts == 1)
    #expect(setup.keptFiles.count == 1)

    let direct = try HDF5File(path: Self.layoutFixture, isolation: .inProcess)
    for path in [first, try setup.copy(Self.layoutFixture, to: "second.h5")] {
      let again = try HDF5File(path: path, isolation: isolation)
      #expect(setup.starts == 1, "\(path) started a validator")
      #expect(again.wasValidatedInChildProcess)
      #expect(again.tensors.names == direct.tensors.names)
      #expect(again.tensors.map(\.info) == direct.tensors.map(\.info))
      #expect(again.tensors.allSatisfy { $0.file == path })
      #expect(again.metadata == direct.metadata)
      for entry in direct.tensors {
        #expect(again.datasetPath(of: entry.name) == direct.datasetPath(of: entry.name))
        #expect(try again.bytes(of: entry.name).array == direct.bytes(of: entry.name).array)
      }
    }
  }

  @Test("other bytes are validated: one byte changed, or a file larger than the bound")
  func otherBytesValidated() throws {
    let setup = Setup()
    let isolation = try setup.isolation()
    let path = try setup.validatedCopy("checkpoint.h5", through: isolation).path
    var bytes = try FileSystem.read(path)
    bytes.append(0)
    try AtomicFile.write(bytes, to: path)
    _ = try HDF5File(path: path, isolation: isolation)
    #expect(setup.starts == 2)

    // Over the bound, every open starts the validator and nothing is kept.
    let written = setup.folder.file("large-written.h5")
    let count = 300_000
    try HDF5Writer().write(
      [.bytes("big.weight", .f32, [count], [UInt8](repeating: 0, count: 4 * count))], metadata: [:], to: written)
    let large = try setup.copy(written, to: "large.h5")
    #expect(try FileSystem.read(large).count > 1 << 20)
    let kept = setup.keptFiles.count
    _ = try HDF5File(path: large, isolation: isolation)
    _ = try HDF5File(path: large, isolation: isolation)
    #expect(setup.starts == 4)
    #expect(setup.keptFiles.count == kept)
  }

  @Test("a refusal the bytes decide is kept, and names the path opened each time")
  func keptRefusal() throws {
    let setup = Setup()
    let isolation = try setup.isolation()
    let corrupt = HDF5Paths.malformed + "/corrupt-superblock.h5"
    let paths = [try setup.copy(corrupt, to: "a.h5"), try setup.copy(corrupt, to: "b.h5")]
    for path in paths {
      let error = hdf5Error { _ = try HDF5File(path: path, isolation: isolation) }
      #expect(error?.code == "corrupt-file", "\(String(describing: error))")
      #expect(error?.file == path)
    }
    #expect(setup.starts == 1)
  }

  @Test(
    "answers that are not the bytes' alone are never kept: access, memory, the isolation, a report naming its path or folder",
    arguments: [
      #"printf '{"error":{"code":"file","fields":["open","13"]}}'"#,
      #"printf '{"error":{"code":"allocation-failed","fields":["w","1024"]}}'"#,
      #"printf '{"error":{"code":"isolation-failed","fields":["no room"]}}'"#,
      #"for a; do last=$a; done; printf '{"error":{"code":"corrupt-file","fields":["cannot open %s"]}}' "$last""#,
      #"for a; do last=$a; done; printf '{"error":{"code":"corrupt-file","fields":["in %s"]}}' "$(dirname "$last")""#,
    ])
  func notKept(_ answer: String) throws {
    let setup = Setup()
    let isolation = try setup.isolation(running: answer)
    let path = try setup.copy(Self.layoutFixture, to: "checkpoint.h5")
    let first = hdf5Error { _ = try HDF5File(path: path, isolation: isolation) }
    let second = hdf5Error { _ = try HDF5File(path: path, isolation: isolation) }
    #expect(first != nil && first?.code == second?.code, "\(String(describing: first)) / \(String(describing: second))")
    #expect(setup.starts == 2)
    #expect(setup.keptFiles.isEmpty)
  }

  @Test("a report kept under one memory limit is not reused under another")
  func otherLimits() throws {
    let setup = Setup()
    let path = try setup.validatedCopy("checkpoint.h5", through: try setup.isolation()).path
    let smaller = try setup.isolation(limits: .init(memoryBytes: 2 << 30))
    _ = try HDF5File(path: path, isolation: smaller)
    _ = try HDF5File(path: path, isolation: smaller)
    #expect(setup.starts == 2)
    #expect(setup.keptFiles.count == 2)
  }

  @Test("a damaged kept report is made again by the validator")
  func damagedReport() throws {
    let setup = Setup()
    let isolation = try setup.isolation()
    let (path, validated) = try setup.validatedCopy("checkpoint.h5", through: isolation)
    let kept = try #require(setup.keptFiles.first)
    try AtomicFile.write(text: "{\"tensors\":", to: FileSystem.join(setup.reports, kept))
    let again = try HDF5File(path: path, isolation: isolation)
    #expect(setup.starts == 2)
    #expect(again.tensors == validated.tensors)
    let third = try HDF5File(path: path, isolation: isolation)
    #expect(setup.starts == 2)
    #expect(third.tensors == validated.tensors)
    #expect(third.wasValidatedInChildProcess)
  }
}
