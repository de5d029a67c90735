import AdapterLoading
import Checkpoints
import SystemSupport
import TensorIO

/// A case's folders as the built-in profiles read them, read once for every profile that runs the case:
/// the default run's three profiles read the same files, and libhdf5 opening each HDF5 file three times
/// was more than a quarter of the run (`perf record`).
///
/// Only what the profiles use is kept — the folder's JSON config and its tensor table, or the error
/// reading them gave — not the open files. A table is shared only between readers that read it alike:
/// safetensors by the reader's name (strict or as the Rust reference), HDF5 by every profile (they all
/// open it with the standard reader: `ProfileLoader.referenceCompatible` reuses it).
public final class CaseReads: Sendable {
  /// What a profile reads of a model or adapter folder.
  struct Folder: Sendable {
    var config: JSONObject
    var tensors: TensorTable
  }

  private struct Key: Hashable, Sendable {
    var path: String
    var reader: String
  }

  private let models = Locked<[String: Result<ModelFolder, any Error>]>([:])
  private let adapters = Locked<[String: Result<AdapterFolder, any Error>]>([:])
  private let tables = Locked<[Key: Result<TensorTable, any Error>]>([:])
  private let configs = Locked<[String: Result<AdapterConfig, any Error>]>([:])
  private let bases = Locked<[Key: Result<AdapterLoading.BaseModel, any Error>]>([:])

  public init() {}

  /// `config.json` and the weights' table of a model folder, as `ModelCheckpoint(path:formats:)` reads them.
  func model(_ path: String, formats: CheckpointFormats, reader: String) throws -> Folder {
    try keyedModel(path, formats: formats, reader: reader).folder
  }

  /// ``model(_:formats:reader:)`` and the key its table is shared under.
  private func keyedModel(_ path: String, formats: CheckpointFormats, reader: String) throws -> (folder: Folder, key: Key) {
    let folder = try models.withLock { memo in
      try Self.value(&memo, path) { try ModelFolder(path: path) }
    }
    let key = Self.key(path, folder.weights, reader: reader)
    return (Folder(config: folder.config, tensors: try table(key, folder.weights, formats: formats)), key)
  }

  /// `adapter_config.json` of an adapter folder, as `AdapterFolder(path:)` reads it.
  func adapterFolder(_ path: String) throws -> AdapterFolder {
    try adapters.withLock { memo in try Self.value(&memo, path) { try AdapterFolder(path: path) } }
  }

  /// `adapter_config.json` of an adapter folder decoded as `AdapterConfig(json:source:)` decodes it: every
  /// profile decodes the same file, some twice (a release's refusal, then the load).
  func adapterConfig(_ path: String) throws -> AdapterConfig {
    let folder = try adapterFolder(path)
    return try configs.withLock { memo in
      try Self.value(&memo, path) {
        try AdapterConfig(json: folder.config, source: FileSystem.join(path, FolderLayout.adapterConfig))
      }
    }
  }

  /// The base model `make` builds from the model folder at `path` as ``model(_:formats:reader:)`` reads it,
  /// built once for the profiles that read the folder alike (they share the table it is built from).
  func baseModel(
    _ path: String, formats: CheckpointFormats, reader: String, _ make: (Folder) throws -> AdapterLoading.BaseModel
  ) throws -> AdapterLoading.BaseModel {
    let (read, key) = try keyedModel(path, formats: formats, reader: reader)
    return try bases.withLock { memo in try Self.value(&memo, key) { try make(read) } }
  }

  /// `adapter_config.json` and the weights' table of an adapter folder, as `AdapterCheckpoint(path:formats:)`
  /// reads them.
  func adapter(_ path: String, formats: CheckpointFormats, reader: String) throws -> Folder {
    let folder = try adapterFolder(path)
    let key = Self.key(path, folder.weights, reader: reader)
    return Folder(config: folder.config, tensors: try table(key, folder.weights, formats: formats))
  }

  /// A folder's table is shared by the readers that read it alike: HDF5 by every profile, safetensors by
  /// the reader's name.
  private static func key(_ path: String, _ weights: WeightFiles, reader: String) -> Key {
    Key(path: path, reader: weights.format == .hdf5 ? "hdf5" : reader)
  }

  private func table(_ key: Key, _ weights: WeightFiles, formats: CheckpointFormats) throws -> TensorTable {
    try tables.withLock { memo in
      try Self.value(&memo, key) {
        guard weights.format == .hdf5, weights.index == nil, weights.files.count == 1 else {
          return try Checkpoint(weights: weights, formats: formats).tensors
        }
        return try Self.hdf5Tables.table(weights.files[0], reader: key.reader) {
          try Checkpoint(weights: weights, formats: formats).tensors
        }
      }
    }
  }

  /// Tables of the process's small HDF5 files by content: the matrix's pair folders hold byte-identical
  /// copies of a few files, and libhdf5 is slow on each and serialized between jobs (one library lock).
  static let hdf5Tables = TablesByContent()

  private static func value<K: Hashable, V>(_ memo: inout [K: Result<V, any Error>], _ key: K, _ make: () throws -> V)
    throws -> V
  {
    if let known = memo[key] { return try known.get() }
    let result = Result { try make() }
    memo[key] = result
    return try result.get()
  }
}
