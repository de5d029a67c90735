import TensorIO

/// Python's `repr()` and `type()` of modules, as they appear in PEFT's error messages.
enum ModuleDescriptions {
  static func repr(_ module: Module, architecture: Architecture, config: BaseModelConfigValues) -> String {
    switch module.kind {
    case .linear(let i, let o, let bias):
      return "Linear(in_features=\(i), out_features=\(o), bias=\(bias ? "True" : "False"))"
    case .embedding(let n, let d):
      return "\(module.className)(\(n), \(d)" + (config.padTokenId.map { ", padding_idx=\($0)" } ?? "") + ")"
    case .conv1D(let i, let o, _):
      return "Conv1D(nf=\(o), nx=\(i))"
    case .layerNorm(let shape, _):
      return "LayerNorm((\(tuple(shape))), eps=\(config.layerNormEps ?? "1e-05"), elementwise_affine=True)"
    case .rmsNorm(let shape):
      return "\(module.className)((\(tuple(shape))), eps=\(config.rmsNormEps ?? "1e-06"))"
    case .conv(let d, let i, let o, let k, _):
      let kernel = k.count == 1 ? "(\(k[0]),)" : "(" + k.map(String.init).joined(separator: ", ") + ")"
      return "Conv\(d)d(\(i), \(o), kernel_size=\(kernel), stride=\(d == 1 ? "(1,)" : "(1, 1)"))"
    default:
      return "\(module.className)()"
    }
  }

  static func typeRepr(_ module: Module, architecture: Architecture) -> String {
    if let recorded = module.pythonClass { return "<class '\(recorded)'>" }
    let path: String
    switch module.kind {
    case .linear: path = "torch.nn.modules.linear.Linear"
    case .embedding:
      path = module.className == "Embedding"
        ? "torch.nn.modules.sparse.Embedding" : transformersPath(module.className, architecture)
    case .conv1D: path = "transformers.pytorch_utils.Conv1D"
    case .conv(let d, _, _, _, _): path = "torch.nn.modules.conv.Conv\(d)d"
    case .layerNorm: path = "torch.nn.modules.normalization.LayerNorm"
    default: path = transformersPath(module.className, architecture)
    }
    return "<class '\(path)'>"
  }

  private static func transformersPath(_ className: String, _ architecture: Architecture) -> String {
    if let module = architecture.recordedClass?.pythonModule, !module.isEmpty { return module + "." + className }
    let type = architecture.modelType.replacing("-", with: "_")
    return "transformers.models.\(type).modeling_\(type).\(className)"
  }

  private static func tuple(_ shape: [Int]) -> String {
    shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
  }
}

/// The few `config.json` values that appear in module reprs.
struct BaseModelConfigValues: Hashable, Sendable {
  var padTokenId: Int?
  var rmsNormEps: String?
  var layerNormEps: String?
}
