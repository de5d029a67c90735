import Testing

@testable import Synthesis

/// `AdapterTensor.modelKey(adapterName:)` finds where the adapter name goes on the name's bytes; it must
/// place it where splitting the name into components and inserting it (or, for a name saved with the
/// adapter name inside, replacing that component) does.
@Suite("Adapter tensor model keys")
struct ModelKeyTests {
  /// The rule as the type documents it, by components.
  static func byComponents(_ tensor: AdapterTensor, _ adapterName: String) -> String {
    var components = tensor.name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    let position = max(0, components.count - tensor.adapterNameDepth)
    let infix = tensor.adapterNameInfix.replacing("{name}", with: adapterName)
    if tensor.replacesSavedName, position > 0 {
      components[position - 1] = infix
    } else {
      components.insert(infix, at: position)
    }
    return components.joined(separator: ".")
  }

  static let names = [
    "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "base_model.model.lm_head.weight",
    "vera_lambda_b", "a.b", "", ".", "x..y", "trailing.", ".leading", "ünïcode.層.weight",
  ]

  @Test(arguments: 0...4, ["{name}", "modules_to_save.{name}", "x{name}y.{name}", "fixed"])
  func sameAsByComponents(depth: Int, infix: String) {
    for name in Self.names {
      for (adapterName, replaces) in [("default", false), ("other.one", false), ("", false), ("other", true), ("", true)] {
        let tensor = AdapterTensor(
          name: name, shape: [1], adapterNameDepth: depth, adapterNameInfix: infix, replacesSavedName: replaces)
        #expect(
          tensor.modelKey(adapterName: adapterName) == Self.byComponents(tensor, adapterName),
          "\(name) depth \(depth) infix \(infix) name \(adapterName)")
      }
    }
  }

  @Test func examples() {
    let lora = AdapterTensor(name: "base_model.model.q_proj.lora_A.weight", shape: [2, 4])
    #expect(lora.modelKey(adapterName: "default") == "base_model.model.q_proj.lora_A.default.weight")
    let bare = AdapterTensor(name: "base_model.model.q_proj.vera_lambda_b", shape: [4], adapterNameDepth: 0)
    #expect(bare.modelKey(adapterName: "x") == "base_model.model.q_proj.vera_lambda_b.x")
    let copy = AdapterTensor(
      name: "base_model.model.lm_head.weight", shape: [4], role: .adapter, adapterNameInfix: "modules_to_save.{name}")
    #expect(copy.modelKey(adapterName: "a") == "base_model.model.lm_head.modules_to_save.a.weight")
  }
}
