import TensorIO

/// A model that could not be found or fetched. Messages name the repository, revision and file,
/// and never the token.
public enum HubError: Error, Sendable, Hashable, CustomStringConvertible {
  /// 401 or 403: a gated or private repository. `hadToken` says whether one was sent.
  case accessDenied(repo: String, file: String, status: Int, hadToken: Bool, tokenPath: String, endpoint: String)
  /// 404: the repository, revision or file does not exist (`code` is the Hub's `X-Error-Code`).
  case notFound(repo: String, revision: String, file: String, code: String?)
  /// The repository holds none of the weight files looked for.
  case noSafetensorsWeights(repo: String, revision: String, looked: [String])
  /// Another HTTP status, after any retries.
  case httpStatus(repo: String, file: String, status: Int, attempts: Int)
  /// No answer: connection refused, DNS, TLS or a timeout, after any retries.
  case transport(repo: String, file: String, detail: String, attempts: Int)
  /// More redirects than allowed, or one without a usable `Location`.
  case badRedirect(repo: String, file: String, detail: String)
  /// The answer to a range request does not describe the file (no size, fewer bytes than asked).
  case badResponse(repo: String, file: String, detail: String)
  /// The Hub's answer lacks `X-Repo-Commit` (or it cannot name a folder), so fetched headers
  /// cannot be keyed by commit.
  case missingCommit(repo: String, file: String)
  /// `HF_HUB_OFFLINE` is set and neither cache holds the model.
  case offline(reference: String, detail: String)
  /// A file larger than Adaptest reads whole (configs and indexes are kilobytes).
  case fileTooLarge(repo: String, file: String, limit: Int)

  public var description: String {
    switch self {
    case .accessDenied(let repo, let file, let status, let hadToken, let tokenPath, let endpoint):
      let why =
        hadToken
        ? "the token sent has no access to it: request access at \(endpoint)/\(repo) with the account the token belongs to"
        : "it is gated or private: accept its conditions at \(endpoint)/\(repo), then set HF_TOKEN or log in with `hf auth login` (token file \(tokenPath))"
      return "\(safe(repo)): HTTP \(status) for \(safe(file)): \(why)"
    case .notFound(let repo, let revision, let file, let code):
      switch code {
      case "RepoNotFound":
        return "\(safe(repo)): no such repository on the Hub, or a private or gated one the token does not open "
          + "(set HF_TOKEN or log in with `hf auth login`)"
      case "RevisionNotFound": return "\(safe(repo)): no revision '\(safe(revision))'"
      default: return "\(safe(repo))@\(safe(revision)): no file '\(safe(file))'"
      }
    case .noSafetensorsWeights(let repo, let revision, let looked):
      return "\(safe(repo))@\(safe(revision)): no safetensors weights (looked for \(looked.joined(separator: ", "))); "
        + "Adaptest reads safetensors headers only"
    case .httpStatus(let repo, let file, let status, let attempts):
      return "\(safe(repo)): HTTP \(status) for \(safe(file))" + (attempts > 1 ? " after \(attempts) attempts" : "")
    case .transport(let repo, let file, let detail, let attempts):
      return "\(safe(repo)): fetching \(safe(file)) failed: \(safe(detail))" + (attempts > 1 ? " (\(attempts) attempts)" : "")
        + "; set HF_HUB_OFFLINE=1 to use cached models only"
    case .badRedirect(let repo, let file, let detail):
      return "\(safe(repo)): fetching \(safe(file)): \(safe(detail))"
    case .badResponse(let repo, let file, let detail):
      return "\(safe(repo)): unexpected answer for \(safe(file)): \(safe(detail))"
    case .missingCommit(let repo, let file):
      return "\(safe(repo)): the answer for \(safe(file)) has no usable X-Repo-Commit header (is HF_ENDPOINT a Hub mirror?)"
    case .offline(let reference, let detail):
      return "\(safe(reference)): HF_HUB_OFFLINE is set and \(detail)"
    case .fileTooLarge(let repo, let file, let limit):
      return "\(safe(repo)): \(safe(file)) is larger than \(limit) bytes"
    }
  }

  private func safe(_ text: String) -> String { DisplayText.terminalSafe(text) }
}
