import AdapterLoading
import Checkpoints
import ModelReferences
import SystemSupport
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `check`'s inputs read on the other core while ArgumentParser parses the command line (its reflection
/// is a third of a check of a large base; the base's header and model another half).
///
/// The command line is not parsed yet, so its words are guesses: each word after `check` (the value of an
/// `--option=value`) is tried as a model on this machine — a folder, or a Hub model in one of the caches —
/// and the base is built from it; then each as an adapter; then, if none was read as a model and the parsed
/// command has not said it names its base, the bases the adapters name. A wrong guess (the adapter tried as a
/// model, an option's value) costs a failed open. Every read goes through the calls ``CheckInputs`` makes
/// (`ModelResolver.resolveLocally`, `BaseModel`), never to the network, and reads safetensors weights only:
/// an HDF5 file is validated in a child process before libhdf5 opens it (docs/security.md), and libhdf5 must
/// not be in use on this thread when the process exits early. Whatever the parsed command asks for and the
/// plan has not reached, it reads itself; a guess that fails is read again by the command, which reports
/// the failure.
enum CheckReadAhead {
  /// A checkpoint read ahead, and for a model the base built from it.
  struct Read: Sendable {
    let resolved: ResolvedCheckpoint
    let model: BaseModel?
  }

  /// A word of the command line read as a model or as an adapter.
  struct Key: Hashable, Sendable {
    let text: String
    let role: CheckpointRole
  }

  private static let current = Locked<Speculation<Key, Read>?>(nil)
  /// Cleared once the command names its base (BASE or `--base`): the bases adapters name are then not read.
  private static let namedBasesWanted = Locked(true)

  /// Off with `ADAPTEST_READ_AHEAD=0` (one thread; for measuring what it saves).
  static var enabled: Bool {
    guard let setting = getenv("ADAPTEST_READ_AHEAD") else { return true }
    return String(cString: setting) != "0"
  }

  /// Starts reading ahead for the words after `check`.
  static func start(words: [String]) {
    let guesses = words.compactMap { word -> String? in
      guard word.hasPrefix("-") else { return word }
      guard let equals = word.firstIndex(of: "=") else { return nil }
      return String(word[word.index(after: equals)...])
    }
    guard !guesses.isEmpty else { return }
    current.value = Speculation { speculation in
      HeapGrowth.adviseHugePagesForThisThread()
      let resolver = ModelResolver()
      var formats = CheckpointFormats(openers: [:], writers: [:])
      formats.openers[.safetensors] = CheckpointFormats.standard.openers[.safetensors]
      var foundModel = false
      for text in guesses {
        let read = speculation.attempt(Key(text: text, role: .model)) { model(text, resolver, formats) }
        if read != nil { foundModel = true }
      }
      var named: [String] = []
      for text in guesses {
        let read = speculation.attempt(Key(text: text, role: .adapter)) {
          resolveLocally(text, as: .adapter, resolver, formats).map { Read(resolved: $0, model: nil) }
        }
        if let base = read?.resolved.baseModelNameOrPath { named.append(base) }
      }
      guard !foundModel, namedBasesWanted.value else { return }
      for text in named {
        speculation.attempt(Key(text: text, role: .model)) { model(text, resolver, formats) }
      }
    }
  }

  /// What was read ahead for `text` as `role`, waiting while it is being read; nil when it was not (the
  /// caller reads it).
  static func take(_ text: String, as role: CheckpointRole) async -> Read? {
    guard let speculation = current.value else { return nil }
    return await speculation.take(Key(text: text, role: role))
  }

  /// The command names its base itself: the bases adapters name are not wanted.
  static func baseGiven() {
    namedBasesWanted.value = false
  }

  /// Stops reading ahead: the command has what it needs.
  static func end() {
    current.value?.end()
  }

  /// A model and the base built from it (nil if building fails: the command reports why).
  private static func model(_ text: String, _ resolver: ModelResolver, _ formats: CheckpointFormats) -> Read? {
    guard let resolved = resolveLocally(text, as: .model, resolver, formats) else { return nil }
    let model = try? BaseModel(config: resolved.config, weights: resolved.weights.tensors, source: resolved.path)
    return Read(resolved: resolved, model: model)
  }

  private static func resolveLocally(
    _ text: String, as role: CheckpointRole, _ resolver: ModelResolver, _ formats: CheckpointFormats
  ) -> ResolvedCheckpoint? {
    guard let reference = try? ModelReference.parse(text) else { return nil }
    return try? resolver.resolveLocally(reference, as: role, formats: formats)
  }
}
