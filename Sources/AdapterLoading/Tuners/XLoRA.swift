import TensorIO

/// X-LoRA (`peft.tuners.xlora`) is not modelled: loading it reads the LoRA adapters its config lists from their
/// paths (see ``TunerCatalog/unmodelled``). One check of `XLoraModel.__init__` needs none of them and runs before
/// they are read: a base whose config sets `use_cache` is refused, so that load is a certain failure.
enum XLoRA {
  static let peftType = PeftType("XLORA")

  /// `XLoraModel.__init__`'s `use_cache` check, on the base's config as saved. A config without `use_cache`
  /// takes its config class's default, which is not recorded: the answer then stays "cannot tell".
  static func checkUseCache(_ config: AdapterConfig, base: BaseModel) throws(PythonError) {
    guard config.peftType == peftType, base.config["use_cache"]?.boolValue == true else { return }
    throw .valueError("`use_cache` must be False")
  }
}
