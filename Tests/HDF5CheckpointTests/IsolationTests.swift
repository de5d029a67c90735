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

/// Untrusted HDF5 files validated in a child process (``HDF5Isolation/childProcess(_:)``), with the
/// real validator: the `adaptest` executable built next to this test binary, run as
/// `adaptest _hdf5-validate`.
@Suite("HDF5 isolation")
struct IsolationTests {
  /// The `adaptest` executable of this build (`swift test` builds it next to the test bundle).
  static let adaptest = ExternalCommand.adaptest

  static func isolation(_ limits: HDF5Validator.Limits = .init()) throws -> HDF5Isolation {
    let executable = try #require(adaptest, "the adaptest executable is built next to the test binary")
    return .childProcess(HDF5Validator(executable: executable, arguments: ["_hdf5-validate"], limits: limits))
  }

  /// A validator that is not `adaptest` at all: a shell command standing in for a helper that
  /// crashes, hangs or talks nonsense, to check how each ending is reported.
  static func shell(_ command: String, wallSeconds: Double = 10) -> HDF5Isolation {
    .childProcess(
      HDF5Validator(
        executable: "/bin/sh", arguments: ["-c", command, "validator"], limits: .init(wallSeconds: wallSeconds)))
  }

  static let layoutFixture = HDF5Paths.fixtures + "/h5py-layout.h5"

  @Test("an isolated open gives the same tensors, metadata and bytes as an in-process one")
  func sameContents() throws {
    let direct = try HDF5File(path: Self.layoutFixture, isolation: .inProcess)
    let isolated = try HDF5File(path: Self.layoutFixture, isolation: try Self.isolation())
    #expect(!direct.wasValidatedInChildProcess)
    #expect(isolated.wasValidatedInChildProcess)
    #expect(isolated.tensors == direct.tensors)
    #expect(isolated.metadata == direct.metadata)
    #expect(!direct.tensors.isEmpty)
    for entry in direct.tensors {
      #expect(isolated.datasetPath(of: entry.name) == direct.datasetPath(of: entry.name))
      #expect(try isolated.bytes(of: entry.name).array == direct.bytes(of: entry.name).array)
    }
  }

  @Test("every malformed corpus file gives its manifest's error through the validator", arguments: MalformedCorpusTests.cases)
  func malformedCorpus(_ item: MalformedCorpusTests.Case) throws {
    let path = HDF5Paths.malformed + "/" + item.file
    let isolation = try Self.isolation()
    let error: HDF5CheckpointError?
    if item.stage == "read", let tensor = item.tensor {
      // The validator checks every tensor's storage, so a tensor that cannot be read in place may
      // already fail the open; either way it is the manifest's error.
      error = hdf5Error { _ = try HDF5File(path: path, isolation: isolation).bytes(of: tensor) }
    } else {
      error = hdf5Error { _ = try HDF5File(path: path, isolation: isolation) }
    }
    let got = try #require(error, "\(item.file) was accepted")
    #expect(got.code == item.error, "\(item.why) — got: \(got)")
    #expect(got.file == path)
  }

  @Test("a file this process wrote is read in process; once replaced, it is validated again")
  func writtenFilesAreTrusted() throws {
    let folder = TemporaryDirectory()
    let path = folder.file("written.h5")
    try HDF5Writer().write([.bytes("a.weight", .f32, [2], [0, 0, 128, 63, 0, 0, 0, 64])], metadata: [:], to: path)
    let isolation = try Self.isolation()
    let trusted = try HDF5File(path: path, isolation: isolation)
    #expect(!trusted.wasValidatedInChildProcess)

    // Another program replaces the file (a new inode): its bytes are no longer known.
    let copy = folder.file("copy.h5")
    try AtomicFile.write(try FileSystem.read(Self.layoutFixture), to: copy)
    #expect(rename(copy, path) == 0)
    let replaced = try HDF5File(path: path, isolation: isolation)
    #expect(replaced.wasValidatedInChildProcess)
    let fixture = try HDF5File(path: Self.layoutFixture, isolation: .inProcess)
    #expect(replaced.tensors.map(\.info) == fixture.tensors.map(\.info))
    #expect(replaced.tensors.names == fixture.tensors.names)
  }

  @Test("a file that changes between validation and the first read is refused")
  func changedAfterValidation() throws {
    let folder = TemporaryDirectory()
    let path = folder.file("checkpoint.h5")
    try AtomicFile.write(try FileSystem.read(Self.layoutFixture), to: path)
    let file = try HDF5File(path: path, isolation: try Self.isolation())
    let name = try #require(file.tensors.first?.name)
    try AtomicFile.write(try FileSystem.read(Self.layoutFixture), to: path)
    let error = hdf5Error { _ = try file.bytes(of: name) }
    #expect(error?.code == "isolation-failed", "\(String(describing: error))")
  }

  @Test("a validator killed by a signal: the file is reported corrupt, the caller lives on")
  func crashingValidator() {
    let error = hdf5Error { _ = try HDF5File(path: Self.layoutFixture, isolation: Self.shell("kill -SEGV $$")) }
    #expect(error?.code == "corrupt-file")
    #expect(error?.description.contains("crashed") == true, "\(String(describing: error))")
    #expect(error?.file == Self.layoutFixture)
  }

  @Test("a validator that hangs is killed at the wall-clock limit")
  func hangingValidator() {
    let clock = ContinuousClock()
    let start = clock.now
    let error = hdf5Error { _ = try HDF5File(path: Self.layoutFixture, isolation: Self.shell("sleep 30", wallSeconds: 0.5)) }
    #expect(error?.code == "corrupt-file")
    #expect(error?.description.contains("did not finish") == true, "\(String(describing: error))")
    #expect(clock.now - start < .seconds(10))
  }

  @Test(
    "a validator that cannot run or answers nonsense is an isolation failure, not a verdict on the file",
    arguments: ["echo not json", "exit 7", "printf '{\"error\":{\"code\":\"no-such-code\",\"fields\":[]}}'"])
  func unusableValidator(_ command: String) {
    let error = hdf5Error { _ = try HDF5File(path: Self.layoutFixture, isolation: Self.shell(command)) }
    #expect(error?.code == "isolation-failed", "\(String(describing: error))")
  }

  @Test("a validator executable that does not exist is an isolation failure")
  func missingValidator() {
    let isolation = HDF5Isolation.childProcess(HDF5Validator(executable: "/nonexistent/adaptest", arguments: []))
    let error = hdf5Error { _ = try HDF5File(path: Self.layoutFixture, isolation: isolation) }
    #expect(error?.code == "isolation-failed")
  }

  @Test("a file without the HDF5 signature is refused before any process is started")
  func notHDF5() throws {
    let error = hdf5Error { _ = try HDF5File(path: HDF5Paths.malformed + "/not-hdf5.h5", isolation: Self.shell("kill -SEGV $$")) }
    #expect(error?.code == "not-hdf5")
  }
}

extension IsolationTests {
  /// The price of isolation, printed for docs/security.md: milliseconds per open, in process and
  /// through the validator, on the h5py fixture and on a 1,000-tensor checkpoint.
  @Test("isolation cost: an isolated open agrees with an in-process one; both timed")
  func cost() throws {
    let folder = TemporaryDirectory()
    let many = folder.file("many.h5")
    let tensors = (0..<1000).map { i in WritableTensor.bytes("model.layers.\(i / 10).mlp.w\(i % 10).weight", .f32, [2], [0, 0, 128, 63, 0, 0, 0, 64]) }
    try HDF5Writer().write(tensors, metadata: ["format": "pt"], to: many)
    // Copy it so that this process did not write the copy: the copy is untrusted.
    let untrusted = folder.file("untrusted.h5")
    try AtomicFile.write(try FileSystem.read(many), to: untrusted)
    let isolation = try Self.isolation()
    let clock = ContinuousClock()
    for (label, path) in [("h5py fixture", Self.layoutFixture), ("1000 tensors", untrusted)] {
      let runs = 10
      var direct: HDF5File?
      var isolated: HDF5File?
      let inProcess = clock.measure { for _ in 0..<runs { direct = try? HDF5File(path: path, isolation: .inProcess) } }
      let child = clock.measure { for _ in 0..<runs { isolated = try? HDF5File(path: path, isolation: isolation) } }
      let d = try #require(direct)
      let i = try #require(isolated)
      #expect(i.wasValidatedInChildProcess)
      #expect(i.tensors == d.tensors)
      func ms(_ duration: Duration) -> Double {
        (Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15) / Double(runs)
      }
      print("isolation cost, \(label): in process \(ms(inProcess)) ms/open, isolated \(ms(child)) ms/open")
    }
  }
}

/// The recorded libhdf5 crashers (`Corpus/malformed/hdf5/crashers/`): in process each would end the
/// test run; through the validator each is one typed error and the caller goes on.
extension IsolationTests {
  static let crashers = HDF5Paths.malformed + "/crashers"

  /// Short limits: the endless loop spins until the CPU limit stops it.
  static func crasherIsolation() throws -> HDF5Isolation {
    try isolation(HDF5Validator.Limits(wallSeconds: 20, cpuSeconds: 2))
  }

  @Test(
    "a file on which libhdf5 crashes or loops is a typed error",
    arguments: ["global-heap-oob-read-1.h5", "global-heap-oob-read-2.h5", "global-heap-oob-read-3.h5", "global-heap-endless-loop.h5"])
  func crasher(_ name: String) throws {
    let path = Self.crashers + "/" + name
    let error = try #require(hdf5Error { _ = try HDF5File(path: path, isolation: try Self.crasherIsolation()) })
    #expect(error.code == "corrupt-file", "\(error)")
    #expect(error.file == path)
  }

  @Test("the dense-links pair, opened in the order that corrupts libhdf5's free lists, is refused without harm")
  func denseLinksPair() throws {
    let isolation = try Self.crasherIsolation()
    let valid = Self.crashers + "/dense-links-1-valid.h5"
    let damaged = Self.crashers + "/dense-links-2-damaged.h5"
    let first = try HDF5File(path: valid, isolation: isolation)
    #expect(first.wasValidatedInChildProcess)
    for entry in first.tensors { _ = try first.bytes(of: entry.name) }
    // In process, this second open is the one that aborts; each validation is a fresh process.
    let error = try #require(hdf5Error { _ = try HDF5File(path: damaged, isolation: isolation) })
    #expect(error.code == "library", "\(error)")
    // This process is still fine, and libhdf5 in it still works.
    #expect(try HDF5File(path: valid, isolation: .inProcess).tensors == first.tensors)
  }
}

extension IsolationTests {
  @Test("adaptest inspect on a crasher: exit status 3 and a message, not a crash")
  func commandLine() throws {
    let adaptest = try #require(Self.adaptest)
    let path = Self.crashers + "/global-heap-oob-read-1.h5"
    let result = try ExternalCommand.run([adaptest, "inspect", path], mergeErrors: true)
    #expect(result.status == 3, "\(result.output)")
    #expect(result.output.contains("crashed"), "\(result.output)")
    // The same file with isolation would have killed an in-process reader with SIGSEGV (status 139).
    let valid = try ExternalCommand.run([adaptest, "inspect", Self.layoutFixture], mergeErrors: true)
    #expect(valid.status == 0, "\(valid.output)")
  }
}

extension IsolationTests {
  @Test("a written file stays trusted when its folder is renamed (pairs are staged, then moved into place)")
  func trustedAcrossFolderRename() throws {
    let folder = TemporaryDirectory()
    let staging = folder.file("staging")
    let published = folder.file("published")
    #expect(mkdir(staging, 0o755) == 0)
    try HDF5Writer().write([.bytes("a.weight", .u8, [1], [9])], metadata: [:], to: staging + "/model.h5")
    #expect(rename(staging, published) == 0)
    defer {
      unlink(published + "/model.h5")
      rmdir(published)
    }
    let file = try HDF5File(path: published + "/model.h5", isolation: try Self.isolation())
    #expect(!file.wasValidatedInChildProcess)
    #expect(try file.bytes(of: "a.weight").array == [9])
  }
}

extension IsolationTests {
  /// Inputs on which the `hdf5` fuzz target crashed inside libhdf5 (`Fuzz/regressions/hdf5-libhdf5/`).
  static let fuzzCrashers: [String] = {
    FuzzRegressions.files("hdf5-libhdf5").filter { $0.hasSuffix(".h5") }
  }()

  @Test("inputs that crashed libhdf5 under the fuzzer: a typed error about the file, the caller lives on", arguments: fuzzCrashers)
  func fuzzCrasher(_ path: String) throws {
    let error = hdf5Error {
      let file = try HDF5File(path: path, isolation: try Self.crasherIsolation())
      for entry in file.tensors { _ = try file.bytes(of: entry.name) }
    }
    if let error {
      #expect(error.code != "isolation-failed", "\(error)")
      #expect(error.file == path)
    }
    // Whatever libhdf5 did in the validator, this process still reads HDF5.
    #expect(try HDF5File(path: Self.layoutFixture, isolation: .inProcess).tensors.count > 0)
  }
}
