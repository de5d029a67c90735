import AdapterLoading
import Synthesis
import TensorIO

/// The messages of the driver protocol (docs/driver-protocol.md), version 1.
public enum DriverMessages {
  static let protocolVersion = 1
  /// The longest response line accepted.
  public static let maxLineBytes = 16 * 1024 * 1024

  static func hello() -> String { line(JSONObject([("type", .string("hello")), ("protocol", .int(protocolVersion))])) }

  static func shutdown() -> String { line(JSONObject([("type", .string("shutdown"))])) }

  static func load(_ prepared: PreparedCase) -> String {
    var object = JSONObject()
    object["type"] = .string("load")
    object["id"] = .string(prepared.run.runID)
    object["base"] = .string(prepared.base)
    object["adapter"] = .string(prepared.adapter)
    object["adapter_name"] = .string(prepared.load.adapterName)
    object["loaded"] = .array(
      prepared.loaded.map { .object(JSONObject([("name", .string($0.name)), ("path", .string($0.path))])) })
    object["ignore_mismatched_sizes"] = .bool(prepared.load.ignoreMismatchedSizes)
    object["method"] = .string(prepared.load.call.rawValue)
    // Only set when it differs from the default, so requests of protocol 1 stay as they were.
    if prepared.load.baseReference != .base {
      object["base_model_name_or_path"] = .string(prepared.load.baseReference.description)
    }
    object["format"] = .string(prepared.run.format.rawValue)
    return line(object)
  }

  private static func line(_ object: JSONObject) -> String { JSONWriter.compact.string(.object(object)) + "\n" }

  /// The driver's `hello` (public for the driver-protocol fuzz target).
  public static func decodeHello(_ value: JSONValue) throws(JSONShapeError) -> (name: String, version: String, versions: [String: String], capabilities: LoaderCapabilities) {
    let fields = try JSONFields(value, path: "hello")
    let type = try fields.string("type")
    if type == "error" {
      throw JSONShapeError(path: "", "the driver refused: \(try fields.optionalString("message") ?? "no reason given")")
    }
    guard type == "hello" else { throw JSONShapeError(path: "hello.type", "expected \"hello\", got \"\(type)\"") }
    guard try fields.value("protocol").intValue == protocolVersion else {
      throw JSONShapeError(path: "hello.protocol", "the driver speaks another protocol version (this runner speaks \(protocolVersion))")
    }
    var versions: [String: String] = [:]
    if let object = fields.object["versions"]?.objectValue {
      for member in object { versions[member.key] = member.value.stringValue ?? JSONWriter.compact.string(member.value) }
    }
    let caps = try JSONFields(try fields.value("capabilities"), path: "hello.capabilities")
    var capabilities = LoaderCapabilities()
    capabilities.formats = Set(try caps.strings("formats").compactMap(CheckpointFormat.init(rawValue:)))
    capabilities.tuners = Set(try caps.strings("tuners"))
    if caps.object["methods"] != nil {
      capabilities.methods = Set(try caps.strings("methods").compactMap(LoadCall.init(rawValue:)))
    }
    if caps.object["key_naming"] != nil {
      let name = try caps.string("key_naming")
      guard let naming = KeyNaming(rawValue: name) else {
        throw JSONShapeError(path: "hello.capabilities.key_naming", "unknown key naming '\(name)' (peft_model, model)")
      }
      capabilities.keyNaming = naming
    }
    if caps.object["reports"] != nil {
      capabilities.reports = Set(try caps.strings("reports").compactMap(OutcomeField.init(rawValue:)))
    }
    return (try fields.string("name"), try fields.string("version"), versions, capabilities)
  }

  /// A response to a `load` request.
  public enum Response: Sendable {
    case result(ObservedOutcome)
    case error(String)
  }

  /// Decodes a response to the `load` request `id` (public for the driver-protocol fuzz target).
  public static func decodeResponse(_ value: JSONValue, id: String) throws(JSONShapeError) -> Response {
    let fields = try JSONFields(value, path: "response")
    let type = try fields.string("type")
    let answered = try fields.string("id")
    guard answered == id else { throw JSONShapeError(path: "response.id", "answers \"\(answered)\", not \"\(id)\"") }
    switch type {
    case "result": return .result(try OutcomeJSON.decodeObserved(try fields.value("outcome")))
    case "error": return .error(try fields.optionalString("message") ?? "no message")
    default: throw JSONShapeError(path: "response.type", "expected \"result\" or \"error\", got \"\(type)\"")
    }
  }
}
