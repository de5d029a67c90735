import Checkpoints
import Synthesis
import TensorIO

/// Builds a case's folders with the Synthesis generator: the loading base in `base/`, the (mutated)
/// adapter in `adapter/`, clean copies of the already-loaded adapters in `loaded/NAME/`; then puts a
/// malformed file, if the case names one, in place of the generated weights.
public struct SynthesisMaterializer: CaseMaterializer {
  /// The corpus folder (for `malformed/` files).
  public var corpusRoot: String
  /// The data seed: same seed, same bytes.
  public var seed: UInt64
  /// Where built pairs are kept across runs; nil writes every pair into the case's folder.
  public var cache: PairCache?

  public init(corpusRoot: String, seed: UInt64 = 0, cache: PairCache? = nil) {
    self.corpusRoot = corpusRoot
    self.seed = seed
    self.cache = cache
  }

  /// Why a case cannot be built.
  public struct BuildError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
  }

  /// The generator's plan for a case (no files written): what is written and what a correct
  /// loader reports.
  public static func plan(_ spec: CaseSpec) throws(SynthesisError) -> PairPlan {
    guard let recipe = spec.recipe else {
      throw SynthesisError(field: "", .invalidValue("the case's folders are not made by the generator"))
    }
    return try PairPlan(recipe)
  }

  public func prepare(_ run: CaseRun, in folder: String) async throws -> PreparedCase {
    let plan: PairPlan
    do {
      plan = try run.spec.plan ?? Self.plan(run.spec)
    } catch {
      throw BuildError(message: "the generator cannot build this case: \(error)")
    }
    let writer = PairWriter(formats: .standard)
    let pair: String
    if let cache, run.spec.malformed == nil {
      // Loaders only read the folders, so a cached pair is handed over in place.
      pair = try cache.pair(for: plan, format: run.format, seed: seed, writer: writer)
    } else {
      try FileSystem.createDirectory(folder)
      pair = FileSystem.join(folder, "pair")
      try writer.write(plan, to: pair, format: run.format, seed: seed)
    }
    let prepared = PreparedCase(
      run: run, base: FileSystem.join(pair, "base"), adapter: FileSystem.join(pair, "adapter"),
      loaded: plan.loadedAdapters.map {
        .init(name: $0.name, path: FileSystem.join(pair, "loaded", LoadedAdapterFolder.name(for: $0.name)))
      })
    if let malformed = run.spec.malformed { try substitute(malformed, in: prepared) }
    return prepared
  }

  /// Replaces the generated weights file with the malformed one (same name, so the loader finds it).
  private func substitute(_ malformed: MalformedInput, in prepared: PreparedCase) throws {
    let target = malformed.replaces == .adapter ? prepared.adapter : prepared.base
    let weights = try FileSystem.contents(ofDirectory: target).filter {
      $0.hasSuffix(".safetensors") || $0.hasSuffix(".h5") || $0.hasSuffix(".hdf5")
    }
    guard weights.count == 1, let name = weights.first else {
      throw BuildError(message: "cannot put \(malformed.file) in place: \(target) holds \(weights.count) weights files")
    }
    let bytes = try FileSystem.read(FileSystem.join(corpusRoot, "malformed", malformed.file))
    try AtomicFile.write(bytes, to: FileSystem.join(target, name))
  }
}
