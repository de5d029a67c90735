import TensorIO

/// A model folder with its weights opened.
public struct ModelCheckpoint: Sendable {
  public let folder: ModelFolder
  public let weights: Checkpoint

  /// Opens `config.json` and the (possibly sharded) weights of a model folder.
  public init(path: String, formats: CheckpointFormats) throws {
    folder = try ModelFolder(path: path)
    weights = try Checkpoint(weights: folder.weights, formats: formats)
  }
}

/// An adapter folder with its weights opened.
public struct AdapterCheckpoint: Sendable {
  public let folder: AdapterFolder
  public let weights: Checkpoint

  /// Opens `adapter_config.json` and the weights of a PEFT adapter folder.
  public init(path: String, formats: CheckpointFormats) throws {
    folder = try AdapterFolder(path: path)
    weights = try Checkpoint(weights: folder.weights, formats: formats)
  }
}

/// Whatever a user pointed Adaptest at.
public enum OpenedCheckpoint: Sendable {
  case file(any TensorFileReader)
  case model(ModelCheckpoint)
  case adapter(AdapterCheckpoint)

  /// Opens a checkpoint file, a model folder (`config.json`) or an adapter folder
  /// (`adapter_config.json`).
  /// - Throws: ``CheckpointError/notACheckpoint(path:)`` for a folder that is neither, or the
  ///   layout/codec error.
  public static func open(_ path: String, formats: CheckpointFormats) throws -> OpenedCheckpoint {
    switch FileSystem.kind(of: path) {
    case .file: return .file(try formats.openFile(path))
    case .directory:
      if FileSystem.isFile(FileSystem.join(path, FolderLayout.adapterConfig)) {
        return .adapter(try AdapterCheckpoint(path: path, formats: formats))
      }
      if FileSystem.isFile(FileSystem.join(path, FolderLayout.modelConfig)) {
        return .model(try ModelCheckpoint(path: path, formats: formats))
      }
      throw CheckpointError.notACheckpoint(path: path)
    case .other: throw LayoutError.specialFile(path: path, kind: FileSystem.specialKind(of: path) ?? "not a regular file")
    case .missing: throw LayoutError.notFound(path: path)
    }
  }

  /// The tensors, whichever kind it is.
  public var checkpoint: Checkpoint {
    get throws {
      switch self {
      case .file(let reader): try Checkpoint(files: [reader], index: nil, format: reader.format)
      case .model(let model): model.weights
      case .adapter(let adapter): adapter.weights
      }
    }
  }
}
