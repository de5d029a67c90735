import Foundation
import TensorIO

/// A temporary folder for one test, removed afterwards.
final class Scratch {
  let root: String

  init() throws {
    root = NSTemporaryDirectory() + "adaptest-checkpoints-" + UUID().uuidString
    try FileSystem.createDirectory(root)
  }

  func path(_ name: String) -> String { FileSystem.join(root, name) }

  deinit { try? FileManager.default.removeItem(atPath: root) }
}
