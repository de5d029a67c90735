import AdapterLoading
import Dispatch
import HDF5Checkpoint
import Synthesis
import SystemSupport
import TensorIO
import TestSupport
import Testing

@testable import Conformance

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// What the run keeps within a process to go faster (issue 16) answers as the work it saves would.
@Suite("Run speed: memos and reused threads")
struct RunSpeedTests {
  /// Counts the reads a memo asks for.
  final class ReadCount: Sendable {
    private let count = Locked(0)
    var value: Int { count.value }
    func read(_ path: String) throws -> TensorTable {
      count.withLock { $0 += 1 }
      return try HDF5File(path: path).tensors
    }
  }

  static func writeModel(_ path: String, rows: Int) throws {
    func tensor(_ name: String, _ shape: [Int], _ byte: UInt8) -> WritableTensor {
      let bytes = [UInt8](repeating: byte, count: shape.reduce(4, *))
      return WritableTensor(
        name: name, info: TensorInfo(dtype: .f32, shape: shape), payload: .bytes(TensorBytes(OwnedBytes(bytes))))
    }
    try HDF5Writer().write(
      [tensor("model.embed_tokens.weight", [rows, 2], 1), tensor("model.layers.0.self_attn.q_proj.weight", [2, 2], 2)],
      metadata: ["format": "pt"], to: path)
  }

  /// `count` byte-identical copies of one HDF5 file, and a file with other bytes.
  static func copies(_ dir: TemporaryDirectory, count: Int) throws -> (copies: [String], other: String) {
    let original = dir.file("original.h5")
    try writeModel(original, rows: 3)
    let bytes = try FileSystem.read(original)
    var copies: [String] = []
    for i in 0..<count {
      let folder = dir.file("pair\(i)")
      try FileSystem.createDirectory(folder)
      let path = FileSystem.join(folder, "model.h5")
      try AtomicFile.write(bytes, to: path)
      copies.append(path)
    }
    let other = dir.file("other.h5")
    try writeModel(other, rows: 5)
    return (copies, other)
  }

  @Test("byte-identical HDF5 files are read once; each gets the table reading it gives, under its own path")
  func identicalFilesShareOneRead() throws {
    let dir = TemporaryDirectory()
    let (copies, other) = try Self.copies(dir, count: 4)
    let memo = TablesByContent()
    let reads = ReadCount()
    for path in copies + [other] {
      let table = try memo.table(path, reader: "hdf5") { try reads.read(path) }
      #expect(table == (try HDF5File(path: path).tensors), "\(path)")
      #expect(table.entries.allSatisfy { $0.file == path })
    }
    #expect(reads.value == 2, "one read for the four copies, one for the other file")
    // Another reader name never shares.
    _ = try memo.table(copies[0], reader: "other reader") { try reads.read(copies[0]) }
    #expect(reads.value == 3)
  }

  @Test("files alike at both ends, which alone are hashed, but not in the middle are each read")
  func middleDifferencesAreSeen() throws {
    let dir = TemporaryDirectory()
    let first = dir.file("a.h5")
    try Self.writeModel(first, rows: 4096)
    var bytes = try FileSystem.read(first)
    let middle = bytes.count / 2
    #expect(middle > TablesByContent.hashedEnds && bytes.count - middle > TablesByContent.hashedEnds)
    bytes[middle] ^= 0xFF
    let second = dir.file("b.h5")
    try AtomicFile.write(bytes, to: second)
    let memo = TablesByContent()
    let reads = ReadCount()
    for path in [first, second] { _ = try memo.table(path, reader: "hdf5") { try reads.read(path) } }
    #expect(reads.value == 2, "the second file is not taken for the first")
    let copy = dir.file("c.h5")
    try AtomicFile.write(bytes, to: copy)
    _ = try memo.table(copy, reader: "hdf5") { try reads.read(copy) }
    #expect(reads.value == 2, "a copy of the second is")
  }

  @Test("bases alike at both ends of their tables, which alone are hashed, but not in the middle get models of their own")
  func baseMemoComparesWholeTables() async throws {
    let corpus = try Corpus.load(root: Repository.corpus, matrix: .none)
    let spec = try #require(corpus.cases.first { $0.id == "tuners/dora" })
    let dir = TemporaryDirectory()
    let prepared = try await SynthesisMaterializer(corpusRoot: Repository.corpus, cache: nil)
      .prepare(CaseRun(spec: spec, format: .safetensors), in: dir.file("case"))
    let read = try CaseReads().model(prepared.base, reader: .strict)
    var entries = read.tensors.entries
    #expect(entries.count > 8)
    let middle = entries.count / 2
    entries[middle].info = TensorInfo(dtype: entries[middle].info.dtype, shape: entries[middle].info.shape.map { $0 + 1 })
    let changed = try TensorTable(entries)
    let original = try ProfileLoader.baseModel(config: read.config, weights: read.tensors, source: "base")
    let other = try ProfileLoader.baseModel(config: read.config, weights: changed, source: "base")
    #expect(other == (try AdapterLoading.BaseModel(config: read.config, weights: changed, source: "base")))
    #expect(other != original)
    // A name differing in the middle is another base too; the same table in another file is the same.
    var renamedEntries = read.tensors.entries
    renamedEntries[middle].name += "x"
    let renamed = try TensorTable(renamedEntries)
    let fresh = try? AdapterLoading.BaseModel(config: read.config, weights: renamed, source: "base")
    #expect(fresh != original)
    #expect((try? ProfileLoader.baseModel(config: read.config, weights: renamed, source: "base")) == fresh)
    #expect(try ProfileLoader.baseModel(config: read.config, weights: read.tensors.relocated(to: "elsewhere"), source: "base") == original)
  }

  @Test("a file that fails to read is read again, and names its own path")
  func failuresAreNotKept() throws {
    let dir = TemporaryDirectory()
    let broken = [UInt8]([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) + [UInt8](repeating: 0, count: 64)
    let paths = [dir.file("a.h5"), dir.file("b.h5")]
    for path in paths { try AtomicFile.write(broken, to: path) }
    let memo = TablesByContent()
    let reads = ReadCount()
    for path in paths {
      #expect {
        _ = try memo.table(path, reader: "hdf5") { try reads.read(path) }
      } throws: { error in
        "\(error)".contains(path)
      }
    }
    #expect(reads.value == 2)
  }

  @Test("files larger than the memo's capacity or the size limit are read every time")
  func largeFilesAreNotKept() throws {
    let dir = TemporaryDirectory()
    let (copies, _) = try Self.copies(dir, count: 2)
    let size = try FileSystem.read(copies[0]).count
    let small = TablesByContent(capacity: size / 2)
    let reads = ReadCount()
    for path in copies + copies { _ = try small.table(path, reader: "hdf5") { try reads.read(path) } }
    #expect(reads.value == 4)
    // Over the size limit: a 5 MB file, twice.
    let big = [dir.file("big1.h5"), dir.file("big2.h5")]
    try Self.writeModel(big[0], rows: 640_000)
    try AtomicFile.write(try FileSystem.read(big[0]), to: big[1])
    #expect(try FileSystem.read(big[1]).count > TablesByContent.maximumFileSize)
    let memo = TablesByContent()
    let bigReads = ReadCount()
    for path in big + big { _ = try memo.table(path, reader: "hdf5") { try bigReads.read(path) } }
    #expect(bigReads.value == 4)
  }

  @Test("threads reading copies at once get the tables of uncached reads")
  func concurrentReadersAgree() throws {
    let dir = TemporaryDirectory()
    let (copies, other) = try Self.copies(dir, count: 8)
    let paths = copies + [other]
    let expected = try paths.map { try HDF5File(path: $0).tensors }
    let memo = TablesByContent()
    let answers = Locked([TensorTable?](repeating: nil, count: paths.count * 8))
    DispatchQueue.concurrentPerform(iterations: paths.count * 8) { i in
      let path = paths[i % paths.count]
      let table = try? memo.table(path, reader: "hdf5") { try HDF5File(path: path).tensors }
      answers.withLock { $0[i] = table }
    }
    for (i, table) in answers.value.enumerated() { #expect(table == expected[i % paths.count], "\(i)") }
  }

  @Test("a job goes to a waiting thread: one thread runs jobs given one after the other")
  func ownThreadsAreReused() {
    let pool = OwnThreads()
    let done = DispatchSemaphore(value: 0)
    let sum = Locked(0)
    for i in 0..<200 {
      // Once the previous job's thread waits again, the next job must go to it.
      while i > 0 && pool.counts.waiting == 0 { usleep(100) }
      #expect(pool.run { sum.withLock { $0 += i }; done.signal() })
      done.wait()
    }
    #expect(sum.value == 199 * 200 / 2)
    #expect(pool.counts.started == 1)
  }

  @Test("a job never waits behind a busy thread: blocked jobs each get a thread")
  func ownThreadsNeverQueueBehindBusyOnes() {
    let pool = OwnThreads()
    let release = DispatchSemaphore(value: 0)
    let started = DispatchSemaphore(value: 0)
    for _ in 0..<6 {
      #expect(pool.run { started.signal(); release.wait() })
    }
    // All six run at once, though none returns until released.
    #expect((0..<6).allSatisfy { _ in started.wait(timeout: .now() + 60) == .success })
    #expect(pool.counts.started == 6)
    for _ in 0..<6 { release.signal() }
  }

  @Test("a task that prefers a job thread runs on it, after a suspension and in its child tasks too")
  func jobThreadRunsItsTask() async throws {
    let thread = try #require(JobThread())
    #expect(!JobThread.isCurrent)
    let seen = await Task(executorPreference: thread) { () -> [Bool] in
      var seen = [JobThread.isCurrent]
      try? await Task.sleep(for: .milliseconds(5))
      seen.append(JobThread.isCurrent)
      seen += await withTaskGroup(of: Bool.self) { group in
        for _ in 0..<4 { group.addTask { JobThread.isCurrent } }
        return await group.reduce(into: []) { $0.append($1) }
      }
      thread.finish()
      return seen
    }.value
    #expect(seen == Array(repeating: true, count: 6))
  }

  @Test("pending jobs come out first in first out, across the storage's resets")
  func pendingJobsInOrder() {
    var pending = PendingJobs<Int>()
    var taken: [Int] = []
    for round in 0..<3 {
      for i in 0..<5 { pending.append(round * 10 + i) }
      if let first = pending.take() { taken.append(first) }
      #expect(pending.count == 4)
      while let next = pending.take() { taken.append(next) }
      #expect(pending.count == 0 && pending.take() == nil)
    }
    #expect(taken == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24])
  }

  @Test("a concurrent map is the map, in order, whatever the chunk", arguments: [1, 2, 16, 100])
  func concurrentMapKeepsOrder(chunk: Int) {
    for count in [0, 1, 15, 16, 17, 1000] {
      let input = Array(0..<count)
      #expect(input.concurrentMap(chunk: chunk) { $0 * 3 + 1 } == input.map { $0 * 3 + 1 }, "\(count)")
    }
  }

  @Test("work in the background runs while the caller goes on, and its value is the work's")
  func workInTheBackground() {
    let started = DispatchSemaphore(value: 0)
    let proceed = DispatchSemaphore(value: 0)
    let work = InBackground { () -> [Int] in
      started.signal()
      proceed.wait()
      return (0..<1000).map { $0 * $0 }
    }
    // Started before its value is asked for (bounded: work that waited for `value` would fail here, not hang).
    #expect(started.wait(timeout: .now() + 30) == .success)
    proceed.signal()
    #expect(work.value == (0..<1000).map { $0 * $0 })
    #expect(work.value.count == 1000)
  }

  @Test("the corpus's cases come sorted by id (sorted in the background while expectation files are linted)")
  func corpusCasesSortedByID() throws {
    let corpus = try Corpus.load(root: Repository.corpus)
    let ids = corpus.cases.map(\.id)
    #expect(ids.count > 1000)
    #expect(zip(ids, ids.dropFirst()).allSatisfy { ByteSearch.precedes($0, $1) })
  }

  @Test("jobs given at once each get a thread and their own answer")
  func ownThreadsUnderConcurrency() async {
    let answers = await withTaskGroup(of: (Int, Int).self) { group in
      for i in 0..<64 { group.addTask { (i, await onOwnThread { i * i }) } }
      return await group.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
    }
    #expect(answers == Dictionary(uniqueKeysWithValues: (0..<64).map { ($0, $0 * $0) }))
  }

  @Test("the report files written at once are the files rendered one after the other")
  func reportsWrittenAtOnce() throws {
    let run = try ReportWriter.read(Repository.root + "/reports/baseline.json")
    let old = RunResults(info: run.info, results: Array(run.results.prefix(500)))
    let dir = TemporaryDirectory()
    let diff = try ReportWriter.write(run, baseline: old, to: dir.file("out"), reportURL: "https://example.org/r/")
    #expect(diff == ResultsDiff.compare(old: old, new: run))
    let oneByOne = [
      SummaryReport.render(run, diff: diff, reportURL: "https://example.org/r/"), JUnitReport.render(run),
      HTMLReport.render(run, diff: diff), ResultsFile.encode(run),
    ]
    for (name, expected) in zip(ReportWriter.fileNames, oneByOne) {
      #expect(try dir.read("out/" + name) == expected, "\(name)")
    }
  }

  @Test("SHA-256 gives the same digest however the input is split into updates")
  func sha256Chunked() {
    // FIPS 180-4's two-block example.
    let text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    let digest = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    var whole = SHA256()
    whole.update(text)
    #expect(whole.finalize() == digest)
    let bytes = Array(text.utf8)
    for size in [1, 3, 7, 55, 56, 63, 64, 65] {
      var hasher = SHA256()
      var i = 0
      while i < bytes.count {
        hasher.update(bytes[i..<min(i + size, bytes.count)])
        i += size
      }
      #expect(hasher.finalize() == digest, "\(size)-byte updates")
    }
    var lazy = SHA256()
    lazy.update(text.utf8.lazy.map { $0 })
    #expect(lazy.finalize() == digest, "a sequence without contiguous storage")
  }

  @Test(
    "replacing a path in a message gives what the search by characters gives",
    arguments: [
      ("no path here", "/tmp/s/000001"), ("at /tmp/s/000001/base: bad and /tmp/s/000001", "/tmp/s/000001"),
      ("/tmp/s/000001", "/tmp/s/000001"), ("/tmp/s/00000", "/tmp/s/000001"), ("caf\u{E9}/x", "cafe\u{301}"),
      ("cafe\u{301}/x", "caf\u{E9}"), ("e\u{301} and /p", "/p"), ("", "/p"), ("/p\u{301}", "/p"),
    ])
  func replacingAllAgrees(message: String, path: String) {
    var expected = ""
    var rest = Substring(message)
    while let range = rest.firstRange(of: path) {
      expected += rest[..<range.lowerBound]
      expected += "case"
      rest = rest[range.upperBound...]
    }
    expected += rest
    #expect(message.replacingAll(path, with: "case") == expected)
  }

  @Test(
    "profiles sharing a case's reads (tables, adapter configs, base models) answer as each reading alone, also at once",
    arguments: ["tuners/dora", "adapter-names/a-after-default", "keys/lora-b-dropped"], [CheckpointFormat.safetensors, .hdf5])
  func sharedReadsAnswerAsFreshReads(id: String, format: CheckpointFormat) async throws {
    let corpus = try Corpus.load(root: Repository.corpus, matrix: .none)
    let spec = try #require(corpus.cases.first { $0.id == id })
    let dir = TemporaryDirectory()
    let folder = dir.file("case")
    try FileSystem.createDirectory(folder)
    let prepared = try await SynthesisMaterializer(corpusRoot: Repository.corpus, cache: nil)
      .prepare(CaseRun(spec: spec, format: format), in: folder)
    let loaders = BuiltinLoaders.names.compactMap { BuiltinLoaders.loader(named: $0) }
    #expect(loaders.count == 3)
    var alone: [LoaderAnswer] = []
    for loader in loaders {
      let fresh = PreparedCase(run: prepared.run, base: prepared.base, adapter: prepared.adapter, loaded: prepared.loaded)
      alone.append(try await loader.run(fresh))
    }
    let shared = PreparedCase(run: prepared.run, base: prepared.base, adapter: prepared.adapter, loaded: prepared.loaded)
    let atOnce = try await withThrowingTaskGroup(of: (Int, LoaderAnswer).self) { group in
      for (i, loader) in loaders.enumerated() { group.addTask { (i, try await loader.run(shared)) } }
      return try await group.reduce(into: [Int: LoaderAnswer]()) { $0[$1.0] = $1.1 }
    }
    for (i, loader) in loaders.enumerated() {
      #expect(atOnce[i] == alone[i], "\(loader.id)")
      #expect(try await loader.run(shared) == alone[i], "\(loader.id), again")
    }
  }
}
