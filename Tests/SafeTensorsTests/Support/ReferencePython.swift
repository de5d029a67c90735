import TensorIO
import TestSupport
import Testing

extension ReferencePython {
  /// Why a test that needs the reference `safetensors` package is skipped.
  static let skipComment = Comment(rawValue: "set ADAPTEST_PYTHON to a python with safetensors 0.8 and numpy to run this test")

  /// What the reference does with each file, through `Corpus/malformed/safetensors/reference_probe.py`.
  static func probe(_ files: [String]) throws -> [String: (deserialize: JSONValue, safeOpen: JSONValue)] {
    let script = Repository.root + "/Corpus/malformed/safetensors/reference_probe.py"
    let report = try JSONValue.parse(try run(script, files))
    var results: [String: (JSONValue, JSONValue)] = [:]
    for (file, value) in report["results"]?.objectValue ?? JSONObject() {
      results[file] = (value["deserialize"] ?? .null, value["safe_open"] ?? .null)
    }
    return results
  }
}
