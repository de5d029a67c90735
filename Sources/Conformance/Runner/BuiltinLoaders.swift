/// The loaders that ship with Adaptest: the load-simulation profiles of the `AdapterLoading` module.
public enum BuiltinLoaders {
  /// Names accepted by `--loader`, in the order `adaptest run` uses by default.
  public static let names = ["recommended", "peft", "peft-0.13"]

  /// The loader for a profile name, or `nil` for an unknown name.
  public static func loader(named name: String) -> (any ConformanceLoader)? {
    names.contains(name) ? UnavailableLoader(id: name) : nil
  }
}

/// Stands in for a profile until the AdapterLoading profiles are wired in: every case is an ERROR
/// that says so.
struct UnavailableLoader: ConformanceLoader {
  let id: String

  func start() async throws -> LoaderInfo {
    throw LoaderStartError(message: "the built-in profile '\(id)' is not wired into the runner yet")
  }

  func run(_ prepared: PreparedCase) async throws -> LoaderAnswer { .failed("unavailable") }
}

/// Builds case folders from case specs (the Synthesis generator, once wired in).
public struct StandardMaterializer: CaseMaterializer {
  public init() {}

  public func prepare(_ run: CaseRun, in folder: String) async throws -> PreparedCase {
    throw LoaderStartError(message: "case generation (the Synthesis module) is not wired into the runner yet")
  }
}
