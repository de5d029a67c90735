import Checkpoints
import TensorIO

/// Writes a described base model as a transformers model folder: `config.json` plus
/// `model.<ext>` or `model-0000i-of-0000n.<ext>` shards with their index.
public struct BaseModelWriter: Sendable {
  /// The metadata transformers' `save_pretrained` puts in every weights file.
  public static let weightsMetadata = ["format": "pt"]

  public var formats: CheckpointFormats

  public init(formats: CheckpointFormats) { self.formats = formats }

  /// The saved tensors with payloads that generate their bytes inside the writer's buffer.
  public static func writableTensors(_ model: BaseModelDescription, data: TensorData) -> [WritableTensor] {
    let generator: TensorDataGenerator? =
      switch data {
      case .dense(let seed): TensorDataGenerator(seed: seed)
      case .sparse: nil
      }
    return model.savedTensors.map { spec in
      let payload =
        generator?.payload(for: spec.name, dtype: model.dtype, distribution: spec.distribution) ?? .hole
      return WritableTensor(name: spec.name, info: model.info(of: spec), payload: payload)
    }
  }

  /// Writes the folder's files (creating the folder if needed); each file is written atomically.
  /// - Returns: the paths written, `config.json` first.
  /// - Throws: ``TensorIO/FileError``, ``Checkpoints/CheckpointError`` (no writer for the format),
  ///   or the codec's error.
  @discardableResult
  public func write(
    _ model: BaseModelDescription, to folder: String, format: CheckpointFormat, data: TensorData
  ) throws -> [String] {
    try FileSystem.createDirectory(folder)
    let configPath = FileSystem.join(folder, FolderLayout.modelConfig)
    try AtomicFile.write(text: model.configText, to: configPath)
    // `model.num_parameters()`: every parameter once, tied aliases not again.
    let parameters = try model.savedTensors.reduce(0) { $0 + (try model.info(of: $1).elementCount()) }
    let weights = try CheckpointWriting(formats: formats).write(
      Self.writableTensors(model, data: data), metadata: Self.weightsMetadata, folder: folder,
      stem: FolderLayout.modelWeightsStem, format: format,
      sharding: model.shardCount > 1 ? .count(model.shardCount) : .single, totalParameters: parameters)
    return [configPath] + weights
  }
}
