import HDF5Checkpoint
import SafeTensors
import TensorIO

extension CheckpointFormats {
  /// safetensors and Adaptest's HDF5 layout, read with their strict defaults.
  public static let standard = CheckpointFormats(
    openers: [
      .safetensors: { path in try SafeTensorsFile(path: path) },
      .hdf5: { path in try HDF5File(path: path) },
    ],
    writers: [.safetensors: SafeTensorsWriter(), .hdf5: HDF5Writer()])
}
