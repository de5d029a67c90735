import Synthesis
import TensorIO

/// A loader under test: a built-in profile or an external driver. The runner asks it only for
/// cases inside its ``LoaderCapabilities``.
public protocol ConformanceLoader: Sendable {
  /// The id results are filed under (`recommended`, `peft@0.21.2`), known before ``start()``.
  var id: String { get }

  /// Gets the loader ready (a driver's handshake) and says what it is and can do.
  /// - Throws: when the loader cannot be used at all; every case is then an ERROR.
  func start() async throws -> LoaderInfo

  /// Loads one prepared case and reports what happened. A thrown error makes the case an ERROR
  /// (the loader crashed, or could not run it); the run goes on.
  func run(_ prepared: PreparedCase) async throws -> LoaderAnswer

  /// Releases the loader (ends a driver process).
  func shutdown() async
}

extension ConformanceLoader {
  public func shutdown() async {}
}

/// A loader that answers in this process, synchronously (a built-in profile). The runner answers a
/// case's in-process loaders one after the other on one thread of its own, timed out together
/// (``InProcessRun``), rather than each through ``run(_:)``.
public protocol InProcessLoader: ConformanceLoader {
  /// Loads one prepared case on the calling thread, which may be blocked for as long as it takes (it is
  /// never one of the cooperative pool's).
  func answer(_ prepared: PreparedCase) -> LoaderAnswer
}

extension InProcessLoader {
  public func run(_ prepared: PreparedCase) async throws -> LoaderAnswer {
    // Synchronous, CPU-bound work: off the cooperative pool, so a case that never ends (a hostile
    // regular expression in a config, say) cannot stall the run (see CaseTimeLimit).
    let loader = self
    return await onOwnThread { loader.answer(prepared) }
  }
}

/// A loader's answer for one case.
public enum LoaderAnswer: Sendable, Hashable {
  /// The loader answered (the load may have failed: that is in the outcome).
  case outcome(ObservedOutcome)
  /// The loader did not answer in time.
  case timedOut(String)
  /// The loader could not run the case (a driver-side error, a crash); the message says why.
  case failed(String)
  /// The loader ran but cannot say what the real load does (a built-in profile reaching a PEFT method
  /// Adaptest does not model); the message says what is unknown. Reported `SKIP`, never PASS or FAIL:
  /// it is a limit of the loader, not an answer about the case.
  case cannotTell(String)
}

/// One case in one format: the unit the runner schedules.
public struct CaseRun: Sendable {
  public var spec: CaseSpec
  public var format: CheckpointFormat

  public init(spec: CaseSpec, format: CheckpointFormat) {
    self.spec = spec
    self.format = format
  }

  /// `id[format]`: unique within a run, used in driver requests and folder names.
  public var runID: String { "\(spec.id)[\(format.rawValue)]" }
}

/// A case made concrete: folders on disk (and, where the materializer offers it, the same data in
/// memory) plus how to load it.
public struct PreparedCase: Sendable {
  public var run: CaseRun
  /// The base model folder (`config.json` + weights).
  public var base: String
  /// The adapter folder (`adapter_config.json` + weights).
  public var adapter: String
  /// Adapters already in the model, in loading order.
  public var loaded: [LoadedFolder]
  /// Anything the materializer can hand over without a round trip through files (tables).
  public var inMemory: (any Sendable)?
  /// The folders as the built-in profiles read them, shared by the loaders that run this case.
  public let reads = CaseReads()

  public init(run: CaseRun, base: String, adapter: String, loaded: [LoadedFolder] = [], inMemory: (any Sendable)? = nil) {
    self.run = run
    self.base = base
    self.adapter = adapter
    self.loaded = loaded
    self.inMemory = inMemory
  }

  public var load: LoadSetup { run.spec.load }

  /// A named adapter folder.
  public struct LoadedFolder: Sendable, Hashable {
    public var name: String
    public var path: String

    public init(name: String, path: String) {
      self.name = name
      self.path = path
    }
  }
}

/// Builds the files of a case (base, adapter, already-loaded adapters) into a folder.
public protocol CaseMaterializer: Sendable {
  /// Writes the case's folders under `folder`, which does not exist yet: a materializer that writes
  /// files creates it (the runner removes it afterwards); one that hands over folders kept elsewhere (a
  /// cached pair) leaves it alone, and a cached case then costs no folder made and removed.
  /// - Throws: when the case cannot be built; the case is then an ERROR for every loader.
  func prepare(_ run: CaseRun, in folder: String) async throws -> PreparedCase
}
