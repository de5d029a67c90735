import AdapterLoading

/// The loaders that ship with Adaptest: the load-simulation profiles of the `AdapterLoading` module.
public enum BuiltinLoaders {
  /// Names accepted by `--loader`, in the order `adaptest run` uses by default.
  public static let names = ["recommended", "peft", "peft-0.13"]

  /// The PEFT releases each profile models, for `adaptest --version`.
  public static let modelledReleases: [(profile: String, releases: String)] = [
    ("peft", "PEFT 0.14 to 0.21.2 (ground truth recorded with 0.21.2)"),
    ("peft-0.13", "PEFT 0.13 and earlier"),
    ("recommended", "Adaptest's own reading of a PEFT 0.21.2 load (structural filter, diagnostics)"),
  ]

  /// The loader for a profile name, or `nil` for an unknown name.
  public static func loader(named name: String) -> (any ConformanceLoader)? {
    LoadProfile(rawValue: name).map { ProfileLoader(profile: $0) }
  }
}
