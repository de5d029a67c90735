import Foundation
import TensorIO

/// A temporary folder for one test, removed afterwards.
final class Scratch {
  let root: String

  init() throws {
    root = NSTemporaryDirectory() + "adaptest-hub-" + UUID().uuidString
    try FileSystem.createDirectory(root)
  }

  func path(_ components: String...) -> String {
    components.reduce(root) { FileSystem.join($0, $1) }
  }

  deinit { try? FileManager.default.removeItem(atPath: root) }
}
