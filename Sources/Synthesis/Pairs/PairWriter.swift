import Checkpoints
import TensorIO

/// Writes a planned pair as a folder: `base/` (the loading base), `adapter/` (the mutated adapter),
/// `loaded/NAME/` (adapters already in the model, in folders named by ``LoadedAdapterFolder``) and
/// `case.json`. The folder is assembled next to its destination and renamed into place, so a
/// destination is never half-written.
public struct PairWriter: Sendable {
  public var formats: CheckpointFormats

  public init(formats: CheckpointFormats) { self.formats = formats }

  /// The metadata PEFT writes into `adapter_model.safetensors`.
  public static let adapterMetadata = ["format": "pt"]

  /// Writes the pair to `folder`.
  /// - Parameters:
  ///   - seed: the data seed (base and adapters; every tensor has its own stream).
  ///   - sparseBase: leave the base's tensor data as holes (real-size bases for performance runs).
  ///   - overwrite: replace an existing `folder` (atomically) instead of failing.
  /// - Throws: ``PairWriteError``, ``TensorIO/FileError`` or a codec error; nothing is left behind.
  public func write(
    _ plan: PairPlan, to folder: String, format: CheckpointFormat, seed: UInt64, sparseBase: Bool = false,
    overwrite: Bool = false
  ) throws {
    if !overwrite, FileSystem.kind(of: folder, followLinks: false) != .missing {
      throw PairWriteError.destinationExists(folder)
    }
    let staging = AtomicFile.temporaryPath(for: folder)
    try FileSystem.createDirectory(staging)
    do {
      try BaseModelWriter(formats: formats).write(
        plan.loadingBase, to: FileSystem.join(staging, "base"), format: format,
        data: sparseBase ? .sparse : .dense(seed: seed))
      try writeAdapter(
        config: plan.adapterConfig, tensors: plan.checkpoint, dtype: plan.adapterDType,
        to: FileSystem.join(staging, "adapter"), format: format, seed: seed)
      for loaded in plan.loadedAdapters {
        try writeAdapter(
          config: loaded.config, tensors: loaded.tensors, dtype: .f32,
          to: FileSystem.join(staging, "loaded", LoadedAdapterFolder.name(for: loaded.name)), format: format, seed: seed)
      }
      let manifest = JSONWriter.pythonSorted.string(plan.manifest(format: format, seed: seed, sparseBase: sparseBase))
      try AtomicFile.write(text: manifest + "\n", to: FileSystem.join(staging, "case.json"))
      try FileTree.publish(staging, to: folder, overwrite: overwrite)
    } catch {
      try? FileTree.remove(staging)
      throw error
    }
  }

  /// Writes an adapter folder: `adapter_config.json` as PEFT writes it and the weights file.
  public func writeAdapter(
    config: JSONObject, tensors: [AdapterTensor], dtype: DType, to folder: String, format: CheckpointFormat,
    seed: UInt64
  ) throws {
    try FileSystem.createDirectory(folder)
    try AtomicFile.write(
      text: AdapterConfigBuilder.text(config), to: FileSystem.join(folder, FolderLayout.adapterConfig))
    let generator = TensorDataGenerator(seed: seed)
    let writable = tensors.map { tensor in
      let stored = tensor.dtype.isFloatingPoint ? dtype : tensor.dtype
      return WritableTensor(
        name: tensor.name, info: TensorInfo(dtype: stored, shape: tensor.shape),
        payload: generator.payload(for: tensor.name, dtype: stored, distribution: .weights))
    }
    try formats.writer(for: format).write(
      writable, metadata: Self.adapterMetadata,
      to: FileSystem.join(folder, "\(FolderLayout.adapterWeightsStem).\(format.fileExtension)"))
  }
}
