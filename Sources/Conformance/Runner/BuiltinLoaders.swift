import AdapterLoading

/// The loaders that ship with Adaptest: the load-simulation profiles of the `AdapterLoading` module.
public enum BuiltinLoaders {
  /// Names accepted by `--loader`, in the order `adaptest run` uses by default.
  public static let names = ["recommended", "peft", "peft-0.13"]

  /// The loader for a profile name, or `nil` for an unknown name.
  public static func loader(named name: String) -> (any ConformanceLoader)? {
    LoadProfile(rawValue: name).map { ProfileLoader(profile: $0) }
  }
}
