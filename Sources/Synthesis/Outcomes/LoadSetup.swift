import AdapterLoading

/// How a case loads its adapter: the call, the name, the adapters already in the model (by name;
/// the recipe's ``PairSpec/loaded`` says how each is made).
public struct LoadSetup: Sendable, Hashable {
  /// `from_pretrained` (a fresh model), `load_adapter` (next to `loadedAdapters`) or transformers'
  /// `auto_from_pretrained` (the adapter folder, whose config names the base).
  public var call: LoadCall
  /// For `auto_from_pretrained`: what the adapter folder's `base_model_name_or_path` holds (by default the base).
  public var baseReference: BaseReference = .base
  /// The name it is loaded under.
  public var adapterName: String
  /// Adapters already in the model, in load order (their keys are in the model too).
  public var loadedAdapters: [String]
  /// `ignore_mismatched_sizes=True`: wrong shapes are skipped (and become missing) instead of failing.
  public var ignoreMismatchedSizes: Bool

  /// - Parameter call: by default `load_adapter` when adapters are already loaded, else `from_pretrained`.
  public init(
    adapterName: String = "default", loadedAdapters: [String] = [], ignoreMismatchedSizes: Bool = false,
    call: LoadCall? = nil
  ) {
    self.call = call ?? (loadedAdapters.isEmpty ? .fromPretrained : .loadAdapter)
    self.adapterName = adapterName
    self.loadedAdapters = loadedAdapters
    self.ignoreMismatchedSizes = ignoreMismatchedSizes
  }
}
