import TensorIO
import TestSupport
import Testing

@testable import Synthesis

/// The linter's mutation schemas and the decoders they describe agree: every schema's name is a
/// mutation the decoder knows, and every argument it lists is one the decoder reads.
@Suite("Mutation schemas")
struct MutationSchemaTests {
  static func sample(_ type: MutationSchema.ParameterType) -> JSONValue {
    switch type {
    case .int, .positiveInt: .number("2")
    case .string: .string("q_proj")
    case .bool: .bool(true)
    case .stringList: .array([.string("q_proj")])
    case .intList: .array([.number("2"), .number("2")])
    case .dtype: .string("F16")
    case .architecture: .string("mistral")
    }
  }

  /// A case with one mutation carrying every argument of its schema (the first of each one-of group).
  static func decode(_ schema: MutationSchema, on section: String) -> SynthesisError? {
    let excluded = Set(schema.oneOf.flatMap { $0.dropFirst() })
    var arguments = JSONObject()
    for parameter in schema.parameters where !excluded.contains(parameter.name) {
      arguments[parameter.name] = sample(parameter.type)
    }
    let mutation = JSONValue.array([.object(JSONObject([(schema.name, .object(arguments))]))])
    var base = JSONObject([("architecture", .string("llama"))])
    var adapter = JSONObject([
      ("tuner", .string("LORA")), ("config", .object(JSONObject([("r", .number("4")), ("target_modules", .array([.string("q_proj")]))]))),
    ])
    if section == "base" { base["mutations"] = mutation } else { adapter["mutations"] = mutation }
    do {
      _ = try PairSpec.decode(.object(JSONObject([("id", .string("x")), ("base", .object(base)), ("adapter", .object(adapter))])))
      return nil
    } catch {
      return error
    }
  }

  @Test("every base schema decodes with every argument it lists", arguments: BaseMutation.schemas)
  func base(_ schema: MutationSchema) {
    #expect(Self.decode(schema, on: "base") == nil)
  }

  @Test("every adapter schema decodes with every argument it lists", arguments: AdapterMutationRequest.schemas)
  func adapter(_ schema: MutationSchema) {
    #expect(Self.decode(schema, on: "adapter") == nil)
  }

  @Test("a name or argument outside the schemas is refused by the decoder too")
  func outside() throws {
    #expect(Self.decode(MutationSchema("resize_vocabulary"), on: "base") != nil)
    #expect(Self.decode(MutationSchema("dtype", [.init("to", .dtype), .init("from", .dtype)]), on: "adapter") != nil)
  }
}

extension MutationSchema: CustomTestStringConvertible {
  public var testDescription: String { name }
}
