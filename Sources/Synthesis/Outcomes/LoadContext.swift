/// How the adapter of a pair is loaded.
public struct LoadContext: Sendable, Hashable {
  /// The name it is loaded under.
  public var adapterName: String
  /// Adapters already in the model, in load order (their keys are in the model too).
  public var loadedAdapters: [String]
  /// `ignore_mismatched_sizes=True`: wrong shapes are skipped (and become missing) instead of failing.
  public var ignoreMismatchedSizes: Bool

  public init(adapterName: String = "default", loadedAdapters: [String] = [], ignoreMismatchedSizes: Bool = false) {
    self.adapterName = adapterName
    self.loadedAdapters = loadedAdapters
    self.ignoreMismatchedSizes = ignoreMismatchedSizes
  }
}
