import TensorIO

extension PeftModel {
  /// `BaseTuner._inject_parameters`: LoRA on `nn.Parameter`s named by `target_parameters`. Several
  /// parameters of one module nest `ParamWrapper`s (the first parameter innermost); a later adapter
  /// reuses the wrapper of each parameter.
  mutating func injectParameters(_ adapterName: String, config: inout AdapterConfig, context: inout InjectionContext)
    throws(PythonError) -> [String]
  {
    let targetNames = Array(Set(config.targetParameters ?? [])).sorted()
    var targeted: [String] = []
    for (moduleName, node) in tree.namedModules(from: baseRoot) {
      let unwrapped = Self.stripBaseLayer(moduleName)
      for tensor in tree[node].tensors where !tensor.isBuffer {
        let key = unwrapped.isEmpty ? "." + tensor.name : unwrapped + "." + tensor.name
        guard targetNames.contains(key) || targetNames.contains(where: { key.hasSuffix("." + $0) }) else { continue }
        try wrapParameter(moduleName: moduleName, key: key, parameter: tensor.name, adapterName: adapterName,
                          config: &config, context: &context)
        targeted.append(key)
      }
    }
    return targeted
  }

  private mutating func wrapParameter(
    moduleName: String, key: String, parameter: String, adapterName: String, config: inout AdapterConfig,
    context: inout InjectionContext
  ) throws(PythonError) {
    if moduleName.isEmpty {
      throw .valueError(
        "Targeting an nn.Parameter on the top-level module is not supported (parameter '\(parameter)'). ")
    }
    guard var target = tree.module(at: moduleName, from: baseRoot) else { return }
    let unwrappedName = Self.stripBaseLayer(moduleName)
    guard let unwrapped = tree.module(at: unwrappedName, from: baseRoot) else { return }
    if isTunerLayer(unwrapped) && tree[unwrapped].className != "ParamWrapper" {
      let typeName = isTunerLayer(target) ? tree[target].className : tree[target].className
      throw .valueError(
        "Trying to wrap an `nn.Parameter` of layer '\(unwrappedName)' of type \(typeName), which is not a valid "
          + "target. Make sure that this layer is not also targeted with `target_modules`. For some models, PEFT "
          + "will do this automatically, try setting `target_modules=[]` to prevent it.")
    }
    var probe: Int? = unwrapped
    while let p = probe, isTunerLayer(p), tree[p].className == "ParamWrapper" {
      if layerFacts[p]?["parameter_name"] == parameter {
        target = p
        break
      }
      probe = tree[p].child("base_layer")
    }
    let wrapsOwnAdapter: Bool = {
      guard tree[target].className == "ParamWrapper", let loraA = tree[target].child("lora_A") else { return false }
      return tree[loraA].child(adapterName) != nil
    }()
    let targetInfo = injectionTarget(moduleName, node: target, parameter: parameter)
    if isTunerLayer(target) && !wrapsOwnAdapter {
      let plan = try tuner.plan(targetInfo, config: &config, adapterName: adapterName, context: &context)
      applyPlan(plan, at: moduleName, node: target, adapterName: adapterName)
      return
    }
    if tree[target].className == "ParamWrapper" && layerFacts[target]?["parameter_name"] == parameter {
      throw .valueError(
        "Trying to target the same nn.Parameter twice, this should not happen. Please open an issue on the PEFT "
          + "repo: https://github.com/huggingface/peft/issues")
    }
    var fresh = targetInfo
    fresh.existingLayer = nil
    var plan = try tuner.plan(fresh, config: &config, adapterName: adapterName, context: &context)
    plan.layerFacts["parameter_name"] = parameter
    applyPlan(plan, at: moduleName, node: target, adapterName: adapterName, wrapExisting: true)
  }

  static func stripBaseLayer(_ name: String) -> String {
    var result = name
    while let range = result.firstRange(of: ".base_layer") {
      // PEFT removes the last occurrence first (`rpartition`); the result is the same.
      result.removeSubrange(range)
    }
    return result
  }
}
