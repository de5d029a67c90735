import AdapterLoading

/// The exit statuses of every `adaptest` command: one table, one meaning per number (README,
/// "Exit status"). Tests run the built executable against it.
enum ExitStatus {
  /// Everything as expected: a clean load, a run without unexpected results or regressions.
  static let success: Int32 = 0
  /// Findings: `check` — the load succeeds with warnings; `run`, `diff`, `report`, `corpus lint` —
  /// an unexpected result, a regression, a disagreement, a lint error.
  static let findings: Int32 = 1
  /// `check`: the load fails (the loader raises).
  static let loadFails: Int32 = 2
  /// An input cannot be read or decoded: a checkpoint, a config, a case or matrix file, a results file.
  static let invalidInput: Int32 = 3
  /// `check`: Adaptest cannot tell (the load needs something it does not model).
  static let cannotTell: Int32 = 4
  /// `check`: the load succeeds but leaves the adapter broken (`recommended` profile).
  static let loadsBroken: Int32 = 5
  /// `run`: the filter (or an empty corpus) selects no case — a CI job that runs nothing must not
  /// pass (as pytest's 5).
  static let noCaseSelected: Int32 = 6
  /// ArgumentParser's usage error (an unknown option, a missing argument), EX_USAGE.
  static let usage: Int32 = 64

  /// `check`'s status for an outcome.
  static func of(_ status: LoadOutcome.Status) -> Int32 {
    switch status {
    case .clean: success
    case .warnings: findings
    case .fails: loadFails
    case .cannotTell: cannotTell
    case .broken: loadsBroken
    }
  }
}
