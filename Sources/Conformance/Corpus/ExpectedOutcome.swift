import AdapterLoading
import TensorIO

/// What a correct loader reports for a case. Every field is optional: only what the author wrote
/// is asserted (a missing field means "not checked", an empty list means "must be empty").
public struct ExpectedOutcome: Sendable, Hashable {
  /// Model-side keys reported missing (with the adapter name, as `load_adapter` returns them).
  public var missingKeys: SetExpectation?
  /// Checkpoint keys that found no place in the model.
  public var unexpectedKeys: SetExpectation?
  /// Keys dropped because of a size mismatch under `ignore_mismatched_sizes`.
  public var mismatchedKeys: SetExpectation?
  /// Whether the load fails, and how.
  public var error: ErrorExpectation?
  /// Diagnostic codes (checked only against loaders that report diagnostics).
  public var diagnostics: SetExpectation?
  /// Warning categories (checked only against loaders that report warnings).
  public var warnings: SetExpectation?

  public init(
    missingKeys: SetExpectation? = nil, unexpectedKeys: SetExpectation? = nil, mismatchedKeys: SetExpectation? = nil,
    error: ErrorExpectation? = nil, diagnostics: SetExpectation? = nil, warnings: SetExpectation? = nil
  ) {
    self.missingKeys = missingKeys
    self.unexpectedKeys = unexpectedKeys
    self.mismatchedKeys = mismatchedKeys
    self.error = error
    self.diagnostics = diagnostics
    self.warnings = warnings
  }

  /// Whether nothing at all is asserted (the linter rejects such cases).
  public var isEmpty: Bool {
    missingKeys == nil && unexpectedKeys == nil && mismatchedKeys == nil && error == nil && diagnostics == nil
      && warnings == nil
  }

  /// Whether any key list is asserted.
  public var assertsKeys: Bool { missingKeys != nil || unexpectedKeys != nil || mismatchedKeys != nil }

  /// The same expectation with its keys as a loader of another naming reports them.
  public func keys(named naming: KeyNaming) -> ExpectedOutcome {
    var renamed = self
    renamed.missingKeys = missingKeys?.map(naming.name)
    renamed.unexpectedKeys = unexpectedKeys?.map(naming.name)
    renamed.mismatchedKeys = mismatchedKeys?.map(naming.name)
    return renamed
  }
}

/// An expectation about a set of strings (keys, codes, categories).
public enum SetExpectation: Sendable, Hashable {
  /// Exactly these, in any order (`[]` = none).
  case exactly([String])
  /// At least `includes` and none of `excludes`; anything else may appear.
  case constrained(includes: [String], excludes: [String])

  /// Every name passed through `transform`.
  public func map(_ transform: (String) -> String) -> SetExpectation {
    switch self {
    case .exactly(let names): .exactly(names.map(transform))
    case .constrained(let includes, let excludes): .constrained(includes: includes.map(transform), excludes: excludes.map(transform))
    }
  }

  /// Strings that must be present.
  public var required: [String] {
    switch self {
    case .exactly(let all): all
    case .constrained(let includes, _): includes
    }
  }

  /// Whether `observed` satisfies this expectation; when not, what is wrong.
  public func check(_ observed: [String]) -> (absent: [String], unwanted: [String]) {
    let present = Set(observed)
    switch self {
    case .exactly(let expected):
      let wanted = Set(expected)
      return (
        expected.filter { !present.contains($0) }.sortedUTF8(),
        Array(present.subtracting(wanted)).sortedUTF8()
      )
    case .constrained(let includes, let excludes):
      return (includes.filter { !present.contains($0) }.sortedUTF8(), excludes.filter(present.contains).sortedUTF8())
    }
  }
}

/// An expectation about whether and how a load fails.
public enum ErrorExpectation: Sendable, Hashable {
  /// The load succeeds (written `error: null`).
  case none
  /// The load fails with this kind of error.
  case error(ExpectedError)
}

/// A failure a correct loader raises: its kind, and optionally the native type and the format
/// error (for malformed files).
public struct ExpectedError: Sendable, Hashable {
  public var kind: ErrorKind
  /// The native exception type (`RuntimeError`), checked only when written.
  public var type: String?
  /// The checkpoint-format error kind (`InvalidOffset`), for `format-error`.
  public var formatError: String?

  public init(kind: ErrorKind, type: String? = nil, formatError: String? = nil) {
    self.kind = kind
    self.type = type
    self.formatError = formatError
  }
}

extension Array where Element == String {
  /// Sorted by UTF-8 bytes, independent of locale (an expected failure's discrepancies list every key of
  /// its model, sorted for each of the thousands of such results).
  func sortedUTF8() -> [String] { count < 2 ? self : sorted(by: ByteSearch.precedes) }
}
