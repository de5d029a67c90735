import CHDF5
import TensorIO

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes Adaptest HDF5 checkpoints (docs/hdf5-layout.md): deterministic bytes, written to a
/// temporary sibling file and renamed into place.
public struct HDF5Writer: TensorFileWriter {
  public init() {}

  public var format: CheckpointFormat { .hdf5 }

  /// Writes `tensors` in order, with `metadata` on the root group.
  ///
  /// Hole payloads are never written: the dataset stays unallocated and reads back as zeros.
  /// - Throws: ``HDF5CheckpointError`` naming `path` (never the temporary file) and the tensor.
  public func write(_ tensors: [WritableTensor], metadata: [String: String], to path: String)
    throws(HDF5CheckpointError)
  {
    var names = Set<String>()
    var byteCounts: [Int] = []
    byteCounts.reserveCapacity(tensors.count)
    for tensor in tensors {
      guard names.insert(tensor.name).inserted else { throw .nameCollision(file: path, tensor: tensor.name) }
      let byteCount: Int
      do {
        byteCount = try tensor.info.byteCount()
      } catch {
        throw .invalidTensor(file: path, tensor: tensor.name, reason: error)
      }
      if case .bytes(let bytes) = tensor.payload, bytes.count != byteCount {
        throw .payloadSizeMismatch(file: path, tensor: tensor.name, expected: byteCount, actual: bytes.count)
      }
      byteCounts.append(byteCount)
    }
    let plan = WritePlan(
      tensors: tensors, byteCounts: byteCounts, paths: HDF5Layout.datasetPaths(for: tensors.map(\.name)),
      metadata: metadata)

    let temporary = AtomicFile.temporaryPath(for: path)
    do throws(HDF5CheckpointError) {
      try HDF5Library.withLock { () throws(HDF5CheckpointError) in
        try plan.write(to: temporary, context: HDF5Context(file: path))
      }
      try Self.syncAndRename(temporary, to: path)
      // These bytes are the writer's own: reading them back needs no isolation.
      HDF5TrustedFiles.register(path)
    } catch {
      unlink(temporary)
      throw error
    }
  }

  private static func syncAndRename(_ temporary: String, to path: String) throws(HDF5CheckpointError) {
    let fd = open(temporary, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .file(FileError(operation: "open", path: temporary, errno: errno)) }
    guard fsync(fd) == 0 else {
      let code = errno
      close(fd)
      throw .file(FileError(operation: "fsync", path: temporary, errno: code))
    }
    close(fd)
    guard rename(temporary, path) == 0 else { throw .file(FileError(operation: "rename", path: path, errno: errno)) }
  }
}

/// One file's worth of validated tensors, and the order objects are created in.
private struct WritePlan {
  var tensors: [WritableTensor]
  var byteCounts: [Int]
  var paths: [String]
  var metadata: [String: String]

  /// The root attributes in name order (their creation order, hence part of the file bytes).
  private func rootAttributes() -> [(name: String, value: RootValue)] {
    var attributes: [(name: String, value: RootValue)] = [
      (HDF5Layout.formatAttribute, .string(HDF5Layout.formatMarker)),
      (HDF5Layout.versionAttribute, .integer(HDF5Layout.formatVersion)),
      (HDF5Layout.tensorCountAttribute, .integer(Int64(tensors.count))),
    ]
    var escaped = JSONObject()
    for key in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
      let value = metadata[key] ?? ""
      if HDF5Layout.isPlainMetadata(key: key, value: value) {
        attributes.append((key, .string(value)))
      } else {
        escaped[key] = .string(value)
      }
    }
    if escaped.count > 0 {
      attributes.append((HDF5Layout.metadataJSONAttribute, .string(JSONWriter.compact.string(.object(escaped)))))
    }
    return attributes.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
  }

  private enum RootValue {
    case string(String)
    case integer(Int64)
  }

  func write(to temporary: String, context: HDF5Context) throws(HDF5CheckpointError) {
    let root = "/"
    // Object times off everywhere (the file creation list covers the root group), format fixed to
    // the 1.8 file format: both make the bytes a function of the content only.
    let fcpl = try context.propertyList(chdf5_p_file_create(), root)
    try context.check(H5Pset_obj_track_times(fcpl.id, false), root, "H5Pset_obj_track_times")
    try keepCompact(fcpl.id, context)
    let fapl = try context.fileAccessList()
    try context.check(H5Pset_libver_bounds(fapl.id, H5F_LIBVER_V18, H5F_LIBVER_V18), root, "H5Pset_libver_bounds")
    let lcpl = try context.propertyList(chdf5_p_link_create(), root)
    try context.check(H5Pset_char_encoding(lcpl.id, H5T_CSET_UTF8), root, "H5Pset_char_encoding")
    let acpl = try context.propertyList(chdf5_p_attribute_create(), root)
    try context.check(H5Pset_char_encoding(acpl.id, H5T_CSET_UTF8), root, "H5Pset_char_encoding")
    let gcpl = try context.propertyList(chdf5_p_group_create(), root)
    try context.check(H5Pset_obj_track_times(gcpl.id, false), root, "H5Pset_obj_track_times")
    try keepCompact(gcpl.id, context)
    let dcpl = try context.propertyList(chdf5_p_dataset_create(), root)
    try context.check(H5Pset_obj_track_times(dcpl.id, false), root, "H5Pset_obj_track_times")
    try context.check(H5Pset_layout(dcpl.id, H5D_CONTIGUOUS), root, "H5Pset_layout")
    try context.check(H5Pset_alloc_time(dcpl.id, H5D_ALLOC_TIME_LATE), root, "H5Pset_alloc_time")
    // Datasets that get written in full need no fill: without this libhdf5 1.10 writes the fill
    // value over the whole extent first, doubling the I/O. Holes keep the default fill time, so
    // every HDF5 reader sees their zeros.
    let filledDcpl = try context.handle(H5Pcopy(dcpl.id), close: H5Pclose, root, "H5Pcopy")
    try context.check(H5Pset_fill_time(filledDcpl.id, H5D_FILL_TIME_NEVER), root, "H5Pset_fill_time")

    let file = try context.handle(
      H5Fcreate(temporary, chdf5_f_acc_excl(), fcpl.id, fapl.id), close: H5Fclose, root, "H5Fcreate")
    context.closeOnExec(file.id, fapl: fapl.id)

    for (name, value) in rootAttributes() {
      switch value {
      case .string(let text): try context.writeString(file.id, name, text, root, acpl: acpl.id)
      case .integer(let number): try context.writeInteger(file.id, name, number, root, acpl: acpl.id)
      }
    }

    var groups: Set<Substring> = []
    for index in tensors.indices {
      let path = paths[index]
      // Parent groups, outermost first.
      var slash = path.index(after: path.startIndex)
      while let next = path[slash...].firstIndex(of: "/") {
        let group = path[..<next]
        if groups.insert(group).inserted {
          _ = try context.handle(
            H5Gcreate2(file.id, String(group), lcpl.id, gcpl.id, defaultPlist), close: H5Gclose, String(group),
            "H5Gcreate2")
        }
        slash = path.index(after: next)
      }
      let written = byteCounts[index] > 0 && !tensors[index].payload.isHole
      try writeTensor(
        index, file: file.id, context: context, lcpl: lcpl.id, acpl: acpl.id, dcpl: written ? filledDcpl.id : dcpl.id)
    }

    guard file.close() >= 0 else { throw context.failure(root, "H5Fclose") }
  }

  /// Keeps links and attributes in the object headers (compact storage) up to the format's limit,
  /// instead of moving them to dense storage (fractal heap + B-tree) beyond 8. Object headers are
  /// checksummed and fail cleanly when damaged; libhdf5 1.10's dense-storage error paths can free
  /// uninitialised memory (Corpus/malformed/hdf5/crashers). Attributes too large for an object
  /// header still go to dense storage.
  private func keepCompact(_ groupCreation: hid_t, _ context: HDF5Context) throws(HDF5CheckpointError) {
    try context.check(H5Pset_link_phase_change(groupCreation, 65535, 65535), "/", "H5Pset_link_phase_change")
    try context.check(H5Pset_attr_phase_change(groupCreation, 65535, 65535), "/", "H5Pset_attr_phase_change")
  }

  private func writeTensor(_ index: Int, file: hid_t, context: HDF5Context, lcpl: hid_t, acpl: hid_t, dcpl: hid_t)
    throws(HDF5CheckpointError)
  {
    let tensor = tensors[index]
    let path = paths[index]
    let byteCount = byteCounts[index]
    let storage = HDF5DTypeStorage(tensor.info.dtype)
    let type = try context.makeType(tensor.info.dtype, path)
    let space =
      if storage.isPacked {
        try context.simpleSpace([hsize_t(byteCount)], path)
      } else if tensor.info.shape.isEmpty {
        try context.scalarSpace(path)
      } else {
        try context.simpleSpace(tensor.info.shape.map { hsize_t($0) }, path)
      }
    let dataset = try context.handle(
      H5Dcreate2(file, path, type.id, space.id, lcpl, dcpl, defaultPlist), close: H5Dclose, path, "H5Dcreate2")

    try context.writeString(dataset.id, HDF5Layout.dtypeAttribute, tensor.info.dtype.name, path, acpl: acpl)
    try context.writeInteger(dataset.id, HDF5Layout.indexAttribute, Int64(index), path, acpl: acpl)
    if tensor.name.utf8.contains(0) {
      let literal = JSONWriter.compact.string(.string(tensor.name))
      try context.writeString(dataset.id, HDF5Layout.nameJSONAttribute, literal, path, acpl: acpl)
    } else {
      try context.writeString(dataset.id, HDF5Layout.nameAttribute, tensor.name, path, acpl: acpl)
    }
    if storage.isPacked {
      let shape = tensor.info.shape.map { Int64($0) }
      try context.writeIntegerArray(dataset.id, HDF5Layout.shapeAttribute, shape, path, acpl: acpl)
    }

    guard byteCount > 0 else { return }
    let status: herr_t
    switch tensor.payload {
    case .hole:
      return
    case .bytes(let bytes):
      status = bytes.withUnsafeBytes { raw in
        H5Dwrite(dataset.id, type.id, chdf5_s_all(), chdf5_s_all(), defaultPlist, raw.baseAddress)
      }
    case .generate(let fill):
      guard let memory = TensorMemory(count: byteCount, willFill: true) else {
        throw .allocationFailed(file: context.file, tensor: tensor.name, byteCount: byteCount)
      }
      fill(memory.mutableBytes)
      status = H5Dwrite(dataset.id, type.id, chdf5_s_all(), chdf5_s_all(), defaultPlist, memory.bytes.baseAddress)
    }
    guard status >= 0 else {
      throw .library(
        file: context.file, object: tensor.name, operation: "H5Dwrite", message: HDF5Library.takeErrorMessage())
    }
  }
}

extension TensorPayload {
  fileprivate var isHole: Bool {
    if case .hole = self { true } else { false }
  }
}
