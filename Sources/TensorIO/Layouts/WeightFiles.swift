/// The weight files of a model or adapter: one file, or shards listed by an index.
public struct WeightFiles: Sendable, Hashable {
  /// Their format.
  public var format: CheckpointFormat
  /// Files to read, in order.
  public var files: [String]
  /// The index, for a sharded checkpoint.
  public var index: ShardIndex?

  public init(format: CheckpointFormat, files: [String], index: ShardIndex? = nil) {
    self.format = format
    self.files = files
    self.index = index
  }
}

/// Hugging Face folder conventions: which file names a folder's weights may have.
public enum FolderLayout {
  /// A transformers model folder: `config.json` + `model.safetensors`, a sharded
  /// `model.safetensors.index.json`, or the HDF5 equivalents (`model.h5`, `model.h5.index.json`).
  public static let modelConfig = "config.json"
  /// A PEFT adapter folder: `adapter_config.json` + `adapter_model.safetensors` or `adapter_model.h5`.
  public static let adapterConfig = "adapter_config.json"

  /// Base name of a model's weights (`model` → `model.safetensors`).
  public static let modelWeightsStem = "model"
  /// Base name of an adapter's weights.
  public static let adapterWeightsStem = "adapter_model"

  /// Name of shard `i` (1-based) of `n`, transformers style: `model-00001-of-00003.safetensors`.
  public static func shardName(stem: String, index i: Int, of n: Int, format: CheckpointFormat) -> String {
    func pad(_ v: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, 5 - s.count)) + s
    }
    return "\(stem)-\(pad(i))-of-\(pad(n)).\(format.fileExtension)"
  }

  /// Refuses a file of `folder` that is a symlink leading out of it (a link inside the folder is fine).
  public static func requireInside(_ path: String, folder: String) throws(LayoutError) {
    guard FileSystem.staysInside(path, folder: folder) else { throw LayoutError.linkOutsideFolder(path: path) }
  }

  /// Refuses anything but a folder at `path`, saying what it is.
  public static func requireFolder(_ path: String) throws(LayoutError) {
    switch FileSystem.kind(of: path) {
    case .directory: return
    case .file: throw LayoutError.notAFolder(path: path)
    case .other: throw LayoutError.specialFile(path: path, kind: FileSystem.specialKind(of: path) ?? "not a regular file")
    case .missing: throw LayoutError.notFound(path: path)
    }
  }

  /// Finds the weights in `folder` with the given stem. Sharded indexes win over single files
  /// (as in transformers); safetensors wins over HDF5. Pickle checkpoints are recognised and refused.
  /// - Throws: ``LayoutError`` if none is usable.
  public static func findWeights(in folder: String, stem: String, allowShards: Bool, linkRoot: String? = nil) throws
    -> WeightFiles
  {
    let root = linkRoot ?? folder
    var looked: [String] = []
    for format in CheckpointFormat.allCases {
      let single = "\(stem).\(format.fileExtension)"
      let indexName = "\(single).index.json"
      if allowShards {
        looked.append(indexName)
        let indexPath = FileSystem.join(folder, indexName)
        if FileSystem.isFile(indexPath) {
          try requireInside(indexPath, folder: root)
          let index = try ShardIndex.read(path: indexPath)
          let files = index.shards.map { FileSystem.join(folder, $0) }
          for (shard, file) in zip(index.shards, files) {
            if let kind = FileSystem.specialKind(of: file) { throw LayoutError.specialFile(path: file, kind: kind) }
            guard FileSystem.isFile(file) else { throw LayoutError.missingShard(index: indexPath, shard: shard) }
            try requireInside(file, folder: root)
          }
          return WeightFiles(format: format, files: files, index: index)
        }
      }
      looked.append(single)
      let singlePath = FileSystem.join(folder, single)
      // One `stat` says both whether the file is there and whether it is something no reader should open.
      switch FileSystem.kind(of: singlePath) {
      case .file:
        try requireInside(singlePath, folder: root)
        return WeightFiles(format: format, files: [singlePath])
      case .other:
        throw LayoutError.specialFile(path: singlePath, kind: FileSystem.specialKind(of: singlePath) ?? "not a regular file")
      case .directory, .missing: break
      }
    }
    let pickles = stem == modelWeightsStem ? ["pytorch_model.bin", "pytorch_model.bin.index.json"] : ["\(stem).bin"]
    for name in pickles where FileSystem.isFile(FileSystem.join(folder, name)) {
      throw LayoutError.unsupportedPickle(path: FileSystem.join(folder, name))
    }
    throw LayoutError.noWeights(folder: folder, looked: looked)
  }
}
