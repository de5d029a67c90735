import AdapterLoading
import Checkpoints
import SafeTensors
import SystemSupport
import TensorIO

/// A case's folders as the built-in profiles read them, read once for every profile that runs the case:
/// the default run's three profiles read the same files, and libhdf5 opening each HDF5 file three times
/// was more than a quarter of the run (`perf record`).
///
/// Only what the profiles use is kept — the folder's JSON config and its tensor table, or the error
/// reading them gave — not the open files. Every read happens outside the memos' locks (a value is made,
/// then published; the first one published is the one every reader gets).
///
/// A safetensors file is read once for both readers when it can be: the strict reader rejects everything
/// the Rust reference rejects and more (repeated keys, serde's alternative encodings), so a file it reads
/// gives the reference the same table, and the reference reads the file itself only when the strict
/// reader refused it. HDF5 is read by every profile with the standard reader.
public final class CaseReads: Sendable {
  /// How a profile reads safetensors: strictly (`recommended`) or as the Rust reference does (the PEFT
  /// profiles, like PEFT's own reader).
  enum Reader: Sendable, Hashable {
    case strict
    case reference

    /// The codecs of this reader; HDF5 is the standard reader's in both.
    var formats: CheckpointFormats {
      switch self {
      case .strict: .standard
      case .reference: Self.referenceFormats
      }
    }

    private static let referenceFormats: CheckpointFormats = {
      var formats = CheckpointFormats.standard
      formats.openers[.safetensors] = { path in try SafeTensorsFile(path: path, options: .rustCompatible) }
      return formats
    }()
  }

  /// What a profile reads of a model or adapter folder.
  struct Folder: Sendable {
    var config: JSONObject
    var tensors: TensorTable
  }

  /// A table as it is shared: by path and the reader whose read it is.
  private struct Key: Hashable, Sendable {
    var path: String
    var reader: Reader
  }

  private let models = Locked<[String: Result<ModelFolder, any Error>]>([:])
  private let adapters = Locked<[String: Result<AdapterFolder, any Error>]>([:])
  private let tables = Locked<[Key: Result<TensorTable, any Error>]>([:])
  private let configs = Locked<[String: Result<AdapterConfig, any Error>]>([:])
  private let bases = Locked<[Key: Result<AdapterLoading.BaseModel, any Error>]>([:])

  public init() {}

  /// `config.json` and the weights' table of a model folder, as `ModelCheckpoint(path:formats:)` reads it
  /// with `reader`'s codecs.
  func model(_ path: String, reader: Reader) throws -> Folder {
    try keyedModel(path, reader: reader).folder
  }

  /// ``model(_:reader:)`` and the key its table is shared under.
  private func keyedModel(_ path: String, reader: Reader) throws -> (folder: Folder, key: Key) {
    let folder = try Self.value(models, path) { try ModelFolder(path: path) }
    let (tensors, key) = try table(path, folder.weights, reader: reader)
    return (Folder(config: folder.config, tensors: tensors), key)
  }

  /// `adapter_config.json` of an adapter folder, as `AdapterFolder(path:)` reads it.
  func adapterFolder(_ path: String) throws -> AdapterFolder {
    try Self.value(adapters, path) { try AdapterFolder(path: path) }
  }

  /// `adapter_config.json` of an adapter folder decoded as `AdapterConfig(json:source:)` decodes it: every
  /// profile decodes the same file, some twice (a release's refusal, then the load).
  func adapterConfig(_ path: String) throws -> AdapterConfig {
    let folder = try adapterFolder(path)
    return try Self.value(configs, path) {
      try AdapterConfig.decoding(folder.config, source: FileSystem.join(path, FolderLayout.adapterConfig))
    }
  }

  /// The base model `make` builds from the model folder at `path` as ``model(_:reader:)`` reads it, built
  /// once for the profiles that get the same table.
  func baseModel(_ path: String, reader: Reader, _ make: (Folder) throws -> AdapterLoading.BaseModel) throws
    -> AdapterLoading.BaseModel
  {
    let (read, key) = try keyedModel(path, reader: reader)
    return try Self.value(bases, key) { try make(read) }
  }

  /// `adapter_config.json` and the weights' table of an adapter folder, as `AdapterCheckpoint(path:formats:)`
  /// reads them with `reader`'s codecs.
  func adapter(_ path: String, reader: Reader) throws -> Folder {
    let folder = try adapterFolder(path)
    return Folder(config: folder.config, tensors: try table(path, folder.weights, reader: reader).table)
  }

  /// The table of a folder's weights as `reader` reads them, and the key it is shared under.
  private func table(_ path: String, _ weights: WeightFiles, reader: Reader) throws -> (table: TensorTable, key: Key) {
    let strict = Key(path: path, reader: .strict)
    if weights.format == .hdf5 {
      return (try Self.value(tables, strict) { try Self.readTable(weights, reader: .strict) }, strict)
    }
    let strictRead = Result { try Self.value(tables, strict) { try Self.readTable(weights, reader: .strict) } }
    if reader == .strict { return (try strictRead.get(), strict) }
    if case .success(let table) = strictRead { return (table, strict) }
    // Refused strictly: the reference reads the file itself (it may accept it, or refuse it its own way).
    let key = Key(path: path, reader: reader)
    return (try Self.value(tables, key) { try Self.readTable(weights, reader: reader) }, key)
  }

  /// The weights' table as `reader`'s codecs read it (HDF5 with the standard reader in both); a single small
  /// file's is looked up by its bytes first (``smallTables``).
  private static func readTable(_ weights: WeightFiles, reader: Reader) throws -> TensorTable {
    let formats = weights.format == .hdf5 ? Reader.strict.formats : reader.formats
    guard weights.index == nil, weights.files.count == 1 else { return try Checkpoint(weights: weights, formats: formats).tensors }
    let codecs = weights.format == .hdf5 ? "hdf5" : "safetensors-\(reader)"
    return try smallTables.table(weights.files[0], reader: codecs) { try Checkpoint(weights: weights, formats: formats).tensors }
  }

  /// Tables of the process's small weights files by content: the matrix's pair folders hold byte-identical
  /// copies of a few files; libhdf5 is slow on each and serialized between jobs (one library lock), and
  /// parsing a base's safetensors header again was a tenth of a profile's answer (`perf record` of
  /// `run --loader peft`).
  static let smallTables = TablesByContent()

  /// The memo's value for `key`, made by `make` outside the lock the first time; when two readers make it at
  /// once, the first published wins and both return it.
  private static func value<K: Hashable, V>(
    _ memo: Locked<[K: Result<V, any Error>]>, _ key: K, _ make: () throws -> V
  ) throws -> V {
    if let known = memo.withLock({ $0[key] }) { return try known.get() }
    let made = Result { try make() }
    let published = memo.withLock { stored in
      if let first = stored[key] { return first }
      stored[key] = made
      return made
    }
    return try published.get()
  }
}
