import ArgumentParser
import Checkpoints
import TensorIO

struct ConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Convert a checkpoint between safetensors and HDF5, bit-exactly.",
    discussion: """
      IN may be a file or a model/adapter folder; a folder is converted with its shard layout and \
      its other files (configs, tokenizer) copied. The output is assembled aside and moved into \
      place, so OUT is never left half-written.
      """)

  @Argument(help: "The checkpoint file or folder to convert.")
  var input: String

  @Argument(help: "Where to write the result.")
  var output: String

  @Option(help: "Output format: safetensors or hdf5. Default: the other format than the input's.")
  var to: CheckpointFormat?

  @Flag(help: "Replace OUT if it exists.")
  var overwrite = false

  func run() throws {
    let conversion = CheckpointConversion(formats: .standard)
    let summary = try CLIFailure.reading(input) { () throws -> CheckpointConversion.Summary in
      let format: CheckpointFormat
      if let to {
        format = to
      } else {
        format = try OpenedCheckpoint.open(input, formats: .standard).checkpoint.format == .safetensors ? .hdf5 : .safetensors
      }
      return try conversion.convert(input, to: output, format: format, overwrite: overwrite)
    }
    print("wrote \(summary.tensorCount) tensors (\(summary.byteCount) bytes) to \(DisplayText.terminalSafe(output))")
  }
}

extension CheckpointFormat: ExpressibleByArgument {}
