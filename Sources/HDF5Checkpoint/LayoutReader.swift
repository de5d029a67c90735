import CHDF5
import TensorIO

/// Reads and validates the layout of an open file: root attributes, every object, every tensor.
/// Runs inside ``HDF5Library/withLock(_:)``.
struct LayoutReader {
  let context: HDF5Context
  let file: hid_t

  struct Contents {
    var tensors: TensorTable
    var metadata: [String: String]
    var datasetPaths: [String: String]
  }

  private var path: String { context.file }

  func read() throws(HDF5CheckpointError) -> Contents {
    let (tensorCount, metadata) = try readRoot()
    var found: [(index: Int64, entry: TensorEntry, datasetPath: String)] = []
    for link in try links() {
      let objectPath = "/" + link.name
      guard link.type == H5L_TYPE_HARD else {
        let kind = link.type == H5L_TYPE_SOFT ? "soft" : link.type == H5L_TYPE_EXTERNAL ? "external" : "user-defined"
        throw .invalidLayout(file: path, object: objectPath, reason: "\(kind) links are not part of the layout")
      }
      let object = try context.handle(
        H5Oopen(file, objectPath, defaultPlist), close: H5Oclose, objectPath, "H5Oopen")
      switch H5Iget_type(object.id) {
      case H5I_GROUP: continue
      case H5I_DATASET: found.append(try readTensor(object.id, objectPath))
      default:
        throw .invalidLayout(file: path, object: objectPath, reason: "only groups and datasets may appear in the file")
      }
    }
    guard Int64(found.count) == tensorCount else {
      throw .invalidLayout(
        file: path, object: "/",
        reason: "\(HDF5Layout.tensorCountAttribute) is \(tensorCount) but the file holds \(found.count) tensors")
    }
    found.sort { $0.index < $1.index }
    var table = TensorTable()
    var datasetPaths: [String: String] = [:]
    for (position, item) in found.enumerated() {
      guard item.index == Int64(position) else {
        let reason =
          item.index < 0 || item.index >= tensorCount
          ? "\(HDF5Layout.indexAttribute) \(item.index) is outside 0..<\(tensorCount)"
          : "\(HDF5Layout.indexAttribute) \(item.index) is used twice"
        throw .invalidLayout(file: path, object: item.datasetPath, reason: reason)
      }
      do {
        try table.append(item.entry)
      } catch {
        throw .nameCollision(file: path, tensor: item.entry.name)
      }
      datasetPaths[item.entry.name] = item.datasetPath
    }
    return Contents(tensors: table, metadata: metadata, datasetPaths: datasetPaths)
  }

  // MARK: Root

  private func readRoot() throws(HDF5CheckpointError) -> (tensorCount: Int64, metadata: [String: String]) {
    let root = "/"
    let names = try context.attributeNames(of: file, root)
    guard names.contains(HDF5Layout.formatAttribute) else {
      throw .notAdaptestLayout(file: path, reason: "the root group has no '\(HDF5Layout.formatAttribute)' attribute")
    }
    let marker: String
    do {
      marker = try context.readString(file, HDF5Layout.formatAttribute, root)
    } catch {
      throw .notAdaptestLayout(file: path, reason: "'\(HDF5Layout.formatAttribute)' is not a string")
    }
    guard marker == HDF5Layout.formatMarker else {
      throw .notAdaptestLayout(
        file: path, reason: "'\(HDF5Layout.formatAttribute)' is '\(marker)', not '\(HDF5Layout.formatMarker)'")
    }
    guard names.contains(HDF5Layout.versionAttribute) else {
      throw .invalidLayout(file: path, object: root, reason: "no '\(HDF5Layout.versionAttribute)' attribute")
    }
    let version = try context.readInteger(file, HDF5Layout.versionAttribute, root)
    guard version == HDF5Layout.formatVersion else { throw .unsupportedVersion(file: path, version: version) }
    guard names.contains(HDF5Layout.tensorCountAttribute) else {
      throw .invalidLayout(file: path, object: root, reason: "no '\(HDF5Layout.tensorCountAttribute)' attribute")
    }
    let tensorCount = try context.readInteger(file, HDF5Layout.tensorCountAttribute, root)
    guard tensorCount >= 0 else {
      throw .invalidLayout(file: path, object: root, reason: "'\(HDF5Layout.tensorCountAttribute)' is negative")
    }

    var metadata: [String: String] = [:]
    let known: Set = [HDF5Layout.formatAttribute, HDF5Layout.versionAttribute, HDF5Layout.tensorCountAttribute]
    for name in names where !known.contains(name) {
      if name == HDF5Layout.metadataJSONAttribute { continue }
      guard !name.hasPrefix(HDF5Layout.reservedPrefix) else {
        throw .invalidLayout(file: path, object: root, reason: "unknown reserved attribute '\(name)'")
      }
      do {
        metadata[name] = try context.readString(file, name, root)
      } catch .library(_, _, _, let message) {
        throw .invalidLayout(file: path, object: root, reason: "metadata attribute '\(name)': \(message)")
      } catch {
        throw .invalidLayout(file: path, object: root, reason: "metadata attribute '\(name)' must be a single string")
      }
    }
    if names.contains(HDF5Layout.metadataJSONAttribute) {
      let text = try context.readString(file, HDF5Layout.metadataJSONAttribute, root)
      let invalid = HDF5CheckpointError.invalidLayout(
        file: path, object: root, reason: "'\(HDF5Layout.metadataJSONAttribute)' must be a JSON object of strings")
      guard let value = try? JSONValue.parse(text, duplicateKeys: .reject), let object = value.objectValue else {
        throw invalid
      }
      for (key, member) in object {
        guard let string = member.stringValue else { throw invalid }
        guard metadata[key] == nil else {
          throw .invalidLayout(file: path, object: root, reason: "metadata key '\(key)' is stored twice")
        }
        metadata[key] = string
      }
    }
    return (tensorCount, metadata)
  }

  // MARK: Objects

  private struct Link {
    var name: String
    var type: H5L_type_t
  }

  /// Every link below the root, recursively, in name order (libhdf5 skips objects already visited).
  private func links() throws(HDF5CheckpointError) -> [Link] {
    final class Links { var items: [Link] = []; var invalidName = false }
    let links = Links()
    let visitor: H5L_iterate_t = { _, name, info, context in
      guard let name, let info, let context else { return -1 }
      let links = Unmanaged<Links>.fromOpaque(context).takeUnretainedValue()
      guard let text = String(validatingCString: name) else {
        links.invalidName = true
        return 1
      }
      links.items.append(Link(name: text, type: info.pointee.type))
      return 0
    }
    let status = withExtendedLifetime(links) {
      H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, visitor, Unmanaged.passUnretained(links).toOpaque())
    }
    guard status >= 0 else { throw context.failure("/", "H5Lvisit") }
    guard !links.invalidName else {
      throw .invalidLayout(file: path, object: "/", reason: "a link name is not valid UTF-8")
    }
    return links.items
  }

  // MARK: Tensors

  private static let datasetAttributes: Set = [
    HDF5Layout.nameAttribute, HDF5Layout.nameJSONAttribute, HDF5Layout.dtypeAttribute, HDF5Layout.indexAttribute,
    HDF5Layout.shapeAttribute,
  ]

  private func readTensor(_ dataset: hid_t, _ objectPath: String) throws(HDF5CheckpointError)
    -> (index: Int64, entry: TensorEntry, datasetPath: String)
  {
    let names = Set(try context.attributeNames(of: dataset, objectPath))
    for name in names where name.hasPrefix(HDF5Layout.reservedPrefix) && !Self.datasetAttributes.contains(name) {
      throw .invalidLayout(file: path, object: objectPath, reason: "unknown reserved attribute '\(name)'")
    }
    let name = try readName(dataset, objectPath, attributes: names)
    guard names.contains(HDF5Layout.dtypeAttribute) else {
      throw .invalidLayout(file: path, object: objectPath, reason: "tensor '\(name)' has no '\(HDF5Layout.dtypeAttribute)' attribute")
    }
    let dtypeName = try context.readString(dataset, HDF5Layout.dtypeAttribute, objectPath)
    guard let dtype = DType(name: dtypeName) else {
      throw .unknownDType(file: path, tensor: name, dtype: dtypeName)
    }
    guard names.contains(HDF5Layout.indexAttribute) else {
      throw .invalidLayout(file: path, object: objectPath, reason: "tensor '\(name)' has no '\(HDF5Layout.indexAttribute)' attribute")
    }
    let index = try context.readInteger(dataset, HDF5Layout.indexAttribute, objectPath)
    try checkStorageIsInFile(dataset, objectPath)

    let type = try context.handle(H5Dget_type(dataset), close: H5Tclose, objectPath, "H5Dget_type")
    if let stored = context.mismatch(type.id, for: dtype) {
      throw .dtypeMismatch(file: path, tensor: name, dtype: dtype, stored: stored)
    }
    let space = try context.handle(H5Dget_space(dataset), close: H5Sclose, objectPath, "H5Dget_space")
    guard let dims = try context.dimensions(of: space.id, objectPath) else {
      throw .shapeMismatch(file: path, tensor: name, reason: "null dataspace")
    }
    let info = try tensorInfo(dtype, dims: dims, dataset, objectPath, name: name, attributes: names)
    return (index, TensorEntry(name: name, info: info, file: path), objectPath)
  }

  /// External raw-data files and virtual datasets would make a checkpoint read other files.
  private func checkStorageIsInFile(_ dataset: hid_t, _ objectPath: String) throws(HDF5CheckpointError) {
    let dcpl = try context.handle(H5Dget_create_plist(dataset), close: H5Pclose, objectPath, "H5Dget_create_plist")
    let layout = H5Pget_layout(dcpl.id)
    guard layout == H5D_CONTIGUOUS || layout == H5D_CHUNKED || layout == H5D_COMPACT else {
      let kind = layout == H5D_VIRTUAL ? "virtual" : "unknown"
      throw .invalidLayout(file: path, object: objectPath, reason: "\(kind) dataset storage is not part of the layout")
    }
    let external = H5Pget_external_count(dcpl.id)
    guard external >= 0 else { throw context.failure(objectPath, "H5Pget_external_count") }
    guard external == 0 else {
      throw .invalidLayout(file: path, object: objectPath, reason: "raw data in external files is not part of the layout")
    }
  }

  private func readName(_ dataset: hid_t, _ objectPath: String, attributes: Set<String>) throws(HDF5CheckpointError)
    -> String
  {
    switch (attributes.contains(HDF5Layout.nameAttribute), attributes.contains(HDF5Layout.nameJSONAttribute)) {
    case (true, false):
      return try context.readString(dataset, HDF5Layout.nameAttribute, objectPath)
    case (false, true):
      let literal = try context.readString(dataset, HDF5Layout.nameJSONAttribute, objectPath)
      guard let value = try? JSONValue.parse(literal), let name = value.stringValue else {
        throw .invalidLayout(
          file: path, object: objectPath, reason: "'\(HDF5Layout.nameJSONAttribute)' is not a JSON string literal")
      }
      return name
    case (true, true):
      throw .invalidLayout(
        file: path, object: objectPath,
        reason: "both '\(HDF5Layout.nameAttribute)' and '\(HDF5Layout.nameJSONAttribute)' are present")
    case (false, false):
      throw .invalidLayout(
        file: path, object: objectPath,
        reason: "dataset has no '\(HDF5Layout.nameAttribute)' attribute (every dataset must be a tensor of the layout)")
    }
  }

  private func tensorInfo(
    _ dtype: DType, dims: [UInt64], _ dataset: hid_t, _ objectPath: String, name: String, attributes: Set<String>
  ) throws(HDF5CheckpointError) -> TensorInfo {
    let packed = HDF5DTypeStorage(dtype).isPacked
    let info: TensorInfo
    if packed {
      guard attributes.contains(HDF5Layout.shapeAttribute) else {
        throw .invalidLayout(
          file: path, object: objectPath, reason: "packed dtype \(dtype.name) needs a '\(HDF5Layout.shapeAttribute)' attribute")
      }
      let shape = try context.readIntegerArray(dataset, HDF5Layout.shapeAttribute, objectPath, maxCount: 32)
      guard shape.allSatisfy({ $0 >= 0 }) else {
        throw .shapeMismatch(file: path, tensor: name, reason: "'\(HDF5Layout.shapeAttribute)' has a negative dimension")
      }
      info = TensorInfo(dtype: dtype, shape: shape.map { Int($0) })
    } else {
      guard !attributes.contains(HDF5Layout.shapeAttribute) else {
        throw .invalidLayout(
          file: path, object: objectPath, reason: "'\(HDF5Layout.shapeAttribute)' is only for packed dtypes, not \(dtype.name)")
      }
      guard dims.allSatisfy({ $0 <= UInt64(Int.max) }) else {
        throw .shapeMismatch(file: path, tensor: name, reason: "dimension too large")
      }
      info = TensorInfo(dtype: dtype, shape: dims.map { Int($0) })
    }
    let byteCount: Int
    do {
      byteCount = try info.byteCount()
    } catch {
      throw .shapeMismatch(file: path, tensor: name, reason: "shape \(info.shape): \(error)")
    }
    if packed && dims != [UInt64(byteCount)] {
      throw .shapeMismatch(
        file: path, tensor: name,
        reason: "packed \(dtype.name)\(info.shape) needs a 1-D dataset of \(byteCount) bytes, found dimensions \(dims)")
    }
    return info
  }
}
