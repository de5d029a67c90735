import TensorIO

/// The outcome of matching one module name against a config, as PEFT's `check_target_module_exists`.
public enum TargetMatch: Hashable, Sendable {
  case matched
  /// Excluded by `exclude_modules` or because `modules_to_save` claims the module.
  case excluded
  case unmatched
}

/// PEFT's module selection rules (`check_target_module_exists`, PEFT 0.21.2), applied to module names.
///
/// - `exclude_modules` first: a string must match the whole name; a list entry must equal the name
///   or be a `.`-suffix of it.
/// - A module claimed by `modules_to_save` (`(^|.*\.)<entry>($|\..*)`) is never targeted.
/// - `target_modules` as a string: `re.fullmatch`. As a list: the name itself or a `.`-suffix; then
///   `layers_to_transform` keeps only modules whose layer index (the first numeric path component
///   after `layers_pattern`, or the first numeric component at depth ≥ 2) is selected.
struct TargetMatcher {
  let targetModules: TargetModules?
  let targetParameters: [String]?
  let layersToTransform: LayerIndices?
  let layersPattern: [String]?
  private let targetRegex: PythonRegex?
  private let excludeNames: Set<String>
  private let excludeRegex: PythonRegex?
  private let excludeList: [String]
  private let modulesToSave: [ModulesToSaveRule]
  private let layerPatterns: [LayerPattern]

  /// - Parameter targetModules: the config's `target_modules`, after `all-linear` resolution.
  init(config: AdapterConfig, targetModules: TargetModules?) throws(InvalidPattern) {
    self.targetModules = targetModules
    targetParameters = config.targetParameters
    layersToTransform = config.layersToTransform
    layersPattern = config.layersPattern
    if case .pattern(let p) = targetModules {
      targetRegex = try PythonRegex(p, field: "target_modules")
    } else {
      targetRegex = nil
    }
    switch config.excludeModules {
    case .pattern(let p)?:
      excludeRegex = try PythonRegex(p, field: "exclude_modules")
      excludeNames = []
      excludeList = []
    case .names(let names)?:
      excludeRegex = nil
      excludeNames = Set(names)
      excludeList = names
    case nil:
      excludeRegex = nil
      excludeNames = []
      excludeList = []
    }
    var rules: [ModulesToSaveRule] = []
    for entry in config.modulesToSave ?? [] {
      rules.append(try ModulesToSaveRule(entry))
    }
    modulesToSave = rules
    var patterns: [LayerPattern] = []
    for p in config.layersPattern ?? [] { patterns.append(try LayerPattern(p)) }
    layerPatterns = patterns
  }

  func check(_ key: String) throws(PythonError) -> TargetMatch {
    if let excludeRegex {
      if try excludeRegex.fullMatch(key) { return .excluded }
    } else if !excludeList.isEmpty {
      if excludeNames.contains(key) || excludeList.contains(where: { key.hasSuffix("." + $0) }) { return .excluded }
    }
    for rule in modulesToSave where try rule.claims(key) { return .excluded }
    guard let targetModules else { return .unmatched }
    switch targetModules {
    case .pattern:
      return try targetRegex?.fullMatch(key) == true ? .matched : .unmatched
    case .names(let names):
      if names.contains(key) { return .matched }
      guard names.contains(where: { key.hasSuffix("." + $0) }) else { return .unmatched }
      guard let layersToTransform, layersToTransform.isActive else { return .matched }
      guard let index = try layerIndex(of: key) else { return .unmatched }
      return layersToTransform.contains(index) ? .matched : .unmatched
    }
  }

  /// The layer index PEFT reads from a module name for `layers_to_transform`.
  func layerIndex(of key: String) throws(PythonError) -> Int? {
    let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    if layerPatterns.isEmpty {
      // `.*?\.[^.]*\.(?P<idx>\d+)\.`: the first all-digit component at position ≥ 2 that is not last.
      guard parts.count >= 4 else { return nil }
      for i in 2..<(parts.count - 1) where Self.isDigits(parts[i]) { return Int(parts[i]) }
      return nil
    }
    for pattern in layerPatterns {
      if let index = try pattern.index(in: key, parts: parts) { return index }
    }
    return nil
  }

  static func isDigits(_ s: String) -> Bool { !s.isEmpty && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
}

/// One `modules_to_save` entry as PEFT's matcher sees it: `re.match(rf"(^|.*\.){m}($|\..*)", key)`.
private struct ModulesToSaveRule {
  let literal: String?
  let regex: PythonRegex?

  init(_ entry: String) throws(InvalidPattern) {
    if PythonRegex.isLiteral(entry) {
      literal = entry
      regex = nil
    } else {
      literal = nil
      regex = try PythonRegex("(^|.*\\.)\(entry)($|\\..*)", field: "modules_to_save")
    }
  }

  func claims(_ key: String) throws(PythonError) -> Bool {
    if let literal {
      // A whole dotted component sequence equal to the entry, anywhere in the name.
      return key.split(separator: ".").contains { $0 == literal }
    }
    return try regex?.prefixMatch(key) != nil
  }
}

/// One `layers_pattern` entry: `(?:^|.*?\.){pattern}\.(?P<idx>\d+)\.`, first match wins.
private struct LayerPattern {
  let literal: String?
  let regex: PythonRegex?

  init(_ pattern: String) throws(InvalidPattern) {
    if PythonRegex.isLiteral(pattern) {
      literal = pattern
      regex = nil
    } else {
      literal = nil
      regex = try PythonRegex("(?:^|.*?\\.)\(pattern)\\.(?P<idx>\\d+)\\.", field: "layers_pattern")
    }
  }

  func index(in key: String, parts: [String]) throws(PythonError) -> Int? {
    if let literal {
      guard parts.count >= 3 else { return nil }
      for i in 0..<(parts.count - 2) where parts[i] == literal && TargetMatcher.isDigits(parts[i + 1]) {
        return Int(parts[i + 1])
      }
      return nil
    }
    guard let match = try regex?.prefixMatch(key), let group = match.group("idx") else { return nil }
    return Int(group)
  }
}

/// PEFT's `get_pattern_key`: the first `rank_pattern`/`alpha_pattern` key that matches the module
/// name as `(.*\.)?(<key>)$`, in the config's written order; `nil` when none does (PEFT then falls
/// back to the config-wide value).
func patternKey(_ patterns: [String], for key: String, field: String) throws(PythonError) -> String? {
  for pattern in patterns {
    if PythonRegex.isLiteral(pattern) {
      if key == pattern || key.hasSuffix("." + pattern) { return pattern }
    } else if let matched = dottedPatternMatches(pattern, key) {
      // Keys such as `model.layers.3.self_attn.q_proj` need no regex engine (100,000 of them took
      // minutes when each was compiled for every module).
      if matched { return pattern }
    } else if let regex = try? PythonRegex("(.*\\.)?(\(pattern))$", field: field), try regex.prefixMatch(key) != nil {
      return pattern
    }
  }
  return nil
}

/// The first matching `rank_pattern`/`alpha_pattern` entry.
func patternEntry(_ entries: [PatternEntry], for key: String, field: String) throws(PythonError) -> PatternEntry? {
  guard let hit = try patternKey(entries.map(\.pattern), for: key, field: field) else { return nil }
  return entries.first { $0.pattern == hit }
}

/// `re.match(r"(.*\.)?(<pattern>)$", key)` for a pattern whose only special character is `.` (any
/// character but a newline): the pattern covers the last characters of the key (or those before a
/// final newline, which `$` allows), preceded by nothing or by a `.` after newline-free text.
/// `nil` when the pattern has other special characters.
func dottedPatternMatches(_ pattern: String, _ key: String) -> Bool? {
  let special: Set<Unicode.Scalar> = ["\\", "^", "$", "*", "+", "?", "{", "}", "[", "]", "|", "(", ")"]
  let p = Array(pattern.unicodeScalars)
  guard !p.isEmpty, !p.contains(where: { special.contains($0) }) else { return nil }
  let k = Array(key.unicodeScalars)
  var ends = [k.count]
  if k.last == "\n" { ends.append(k.count - 1) }
  for end in ends {
    let start = end - p.count
    guard start >= 0 else { continue }
    let body = zip(p, k[start..<end]).allSatisfy { pc, kc in pc == "." ? kc != "\n" : pc == kc }
    guard body else { continue }
    if start == 0 { return true }
    if k[start - 1] == ".", !k[0..<(start - 1)].contains("\n") { return true }
  }
  return false
}
