import TensorIO

/// Where a model or adapter is: a local folder, or a repository on the Hugging Face Hub.
///
/// Written forms (``parse(_:)``):
/// - a path to a folder (`bases/llama`, `/models/x`, `./x`);
/// - a repo id `org/name`, optionally `@revision` (a branch, tag, commit hash or `refs/pr/N`) and a
///   subfolder: `meta-llama/Llama-3.1-8B@main/original`;
/// - the same with the `hf://` scheme, which is never taken for a path.
public enum ModelReference: Sendable, Hashable, CustomStringConvertible {
  case folder(String)
  case hub(HubReference)

  /// Reads a reference. A string that names an existing file or folder is that path (as
  /// transformers' `from_pretrained` does); otherwise a string that reads as `org/name…` is a Hub
  /// repo id.
  /// - Throws: ``ReferenceError``.
  public static func parse(_ text: String) throws(ReferenceError) -> ModelReference {
    let scheme = "hf://"
    if text.hasPrefix(scheme) { return .hub(try HubReference(parsing: String(text.dropFirst(scheme.count)), written: text)) }
    if text.isEmpty { throw .empty }
    if FileSystem.kind(of: text) != .missing { return .folder(text) }
    // Clearly a path: reported later as a missing folder, not looked up on the Hub.
    if text.hasPrefix("/") || text.hasPrefix(".") || text.hasPrefix("~") || !text.contains("/") {
      return .folder(text)
    }
    return .hub(try HubReference(parsing: text, written: text))
  }

  public var description: String {
    switch self {
    case .folder(let path): path
    case .hub(let reference): reference.description
    }
  }
}

/// A model repository on the Hub, at a revision, possibly in a subfolder.
public struct HubReference: Sendable, Hashable, CustomStringConvertible {
  /// `org/name`.
  public var repo: String
  /// A branch, tag, commit hash or `refs/pr/N`; `nil` means `main`.
  public var revision: String?
  /// A folder inside the repository (no leading or trailing `/`); `nil` for the root.
  public var subfolder: String?

  /// The revision asked for, `main` by default (huggingface_hub's `DEFAULT_REVISION`).
  public var effectiveRevision: String { revision ?? "main" }

  /// A validated reference.
  /// - Throws: ``ReferenceError`` for a malformed repo id, revision or subfolder.
  public init(repo: String, revision: String? = nil, subfolder: String? = nil) throws(ReferenceError) {
    try Self.validateRepo(repo, written: repo)
    if let revision { try Self.validateRevision(revision, written: repo) }
    if let subfolder { try Self.validateSubfolder(subfolder, written: repo) }
    self.repo = repo
    self.revision = revision
    self.subfolder = subfolder
  }

  /// `org/name[@revision][/subfolder]`. A revision ends at the next `/`, except `refs/pr/N` and
  /// `refs/convert/NAME`, which take their three parts.
  init(parsing text: String, written: String) throws(ReferenceError) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard parts.count >= 2 else { throw .invalidRepo(written, reason: "a Hub repo id is org/name") }
    var name = parts[1]
    var revision: String?
    var rest = Array(parts.dropFirst(2))
    if let at = name.firstIndex(of: "@") {
      revision = String(name[name.index(after: at)...])
      name = String(name[..<at])
      if revision == "refs", rest.count >= 2 {
        revision = (["refs"] + rest.prefix(2)).joined(separator: "/")
        rest.removeFirst(2)
      }
      if revision?.isEmpty ?? false { throw .invalidRevision(written, reason: "nothing after '@'") }
    }
    let repo = parts[0] + "/" + name
    try Self.validateRepo(repo, written: written)
    if let revision { try Self.validateRevision(revision, written: written) }
    var subfolder: String?
    if !rest.isEmpty {
      let joined = rest.joined(separator: "/")
      // A trailing slash is harmless; anything else empty is not.
      let trimmed = joined.hasSuffix("/") ? String(joined.dropLast()) : joined
      if !trimmed.isEmpty {
        try Self.validateSubfolder(trimmed, written: written)
        subfolder = trimmed
      }
    }
    self.repo = repo
    self.revision = revision
    self.subfolder = subfolder
  }

  public var description: String {
    "hf://" + repo + (revision.map { "@" + $0 } ?? "") + (subfolder.map { "/" + $0 } ?? "")
  }

  /// A path inside the repository: `subfolder/name`.
  public func filePath(_ name: String) -> String { subfolder.map { $0 + "/" + name } ?? name }

  /// The rules of huggingface_hub's `validate_repo_id`: `org/name` of letters, digits, `-`, `_`
  /// and `.`, no `--` or `..`, not starting or ending with `-` or `.`, at most 96 characters.
  private static func validateRepo(_ repo: String, written: String) throws(ReferenceError) {
    let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2 else { throw .invalidRepo(written, reason: "a Hub repo id is org/name") }
    guard repo.count <= 96 else { throw .invalidRepo(written, reason: "longer than 96 characters") }
    for part in parts {
      guard !part.isEmpty else { throw .invalidRepo(written, reason: "an empty part") }
      guard part.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
        throw .invalidRepo(written, reason: "only letters, digits, '-', '_' and '.' are allowed")
      }
      guard !part.contains("--"), !part.contains("..") else {
        throw .invalidRepo(written, reason: "'--' and '..' are not allowed")
      }
      guard let first = part.first, let last = part.last, !"-.".contains(first), !"-.".contains(last) else {
        throw .invalidRepo(written, reason: "a part may not start or end with '-' or '.'")
      }
    }
  }

  private static func validateRevision(_ revision: String, written: String) throws(ReferenceError) {
    guard !revision.isEmpty else { throw .invalidRevision(written, reason: "empty") }
    // The revision names a folder under refs/ of the cache: no way out of it.
    let parts = revision.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
      revision.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0 != "\\" })
    else {
      throw .invalidRevision(written, reason: "'\(DisplayText.terminalSafe(revision))' is not a branch, tag or commit")
    }
  }

  private static func validateSubfolder(_ subfolder: String, written: String) throws(ReferenceError) {
    let parts = subfolder.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
      subfolder.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F && $0 != "\\" })
    else {
      throw .invalidSubfolder(written, reason: "'\(DisplayText.terminalSafe(subfolder))' is not a relative folder")
    }
  }
}

/// A reference that cannot be read.
public enum ReferenceError: Error, Sendable, Hashable, CustomStringConvertible {
  /// An empty string.
  case empty
  /// The repo id part is malformed.
  case invalidRepo(String, reason: String)
  /// The part after `@`.
  case invalidRevision(String, reason: String)
  /// The part after the repo id and revision.
  case invalidSubfolder(String, reason: String)

  public var description: String {
    switch self {
    case .empty: "empty model reference: give a folder, org/name or hf://org/name"
    case .invalidRepo(let text, let reason):
      "'\(DisplayText.terminalSafe(text))': not a Hub repo id (\(reason)); write org/name[@revision][/subfolder]"
    case .invalidRevision(let text, let reason):
      "'\(DisplayText.terminalSafe(text))': invalid revision (\(reason))"
    case .invalidSubfolder(let text, let reason):
      "'\(DisplayText.terminalSafe(text))': invalid subfolder (\(reason))"
    }
  }
}
