import AdapterLoading

/// The loaders that ship with Adaptest: the load-simulation profiles of the `AdapterLoading` module.
public enum BuiltinLoaders {
  /// Names accepted by `--loader`, in the order `adaptest run` uses by default.
  public static let names = ["recommended", "peft", "peft-0.13"]
  /// Every name `--loader` accepts for a built-in profile (the default set plus each PEFT line by version and
  /// each transformers profile).
  public static let accepted = names + LoadProfile.allCases.filter(\.isPEFT).map(\.versionedName)

  /// The PEFT releases each profile models, for `adaptest --version`: every release line, with the
  /// release its ground truth was recorded with and the transformers release it runs with.
  public static var modelledReleases: [(profile: String, releases: String)] {
    PEFTRelease.lines.map { line in
      ("peft@\(line)", "PEFT \(line.recordedVersion) with transformers \(line.transformersVersion) (ground truth recorded with that release)")
    } + LoadProfile.transformersLines.map { line in
      ("transformers@\(line.transformersLine)",
       "transformers \(line.transformersVersion)'s own load_adapter with PEFT \(line.recordedVersion) (ground truth recorded with both)")
    } + [
      ("peft", "peft@\(PEFTRelease.latest), the newest release line"),
      ("peft-0.13", "peft@\(PEFTRelease.v0_13) with configs stripped to the fields 0.13 knows (in runs)"),
      ("recommended", "Adaptest's own reading of a PEFT \(PEFTRelease.latest.recordedVersion) load (structural filter, diagnostics)"),
    ]
  }

  /// The loader for a profile name, or `nil` for an unknown name. `ADAPTEST_PEFT_STRIP_UNKNOWN_CONFIG_FIELDS=1`
  /// in `environment` makes the PEFT profiles strip configs as the driver then does; `peft-0.13` always does.
  public static func loader(named name: String, environment: [String: String] = [:]) -> (any ConformanceLoader)? {
    // `peft@0.13.2` (three parts) is the real release through the driver; `peft@0.13` its profile (the same
    // for `transformers@5.24.0` and `transformers@5.24`).
    if (name.hasPrefix("peft@") || name.hasPrefix("transformers@")) && name.split(separator: ".").count > 2 { return nil }
    // `peft-0.13`, the default run's view of 0.13, loads configs reduced to the fields 0.13 knows, so the
    // corpus shows its key semantics; `peft@0.13` takes them as written (and mostly raises TypeError).
    let strips = environment["ADAPTEST_PEFT_STRIP_UNKNOWN_CONFIG_FIELDS"] == "1" || name == "peft-0.13"
    return LoadProfile(rawValue: name).map {
      ProfileLoader(profile: $0, id: name, stripsUnknownConfigFields: strips && $0.isPEFT)
    }
  }
}
