import TensorIO
import TestSupport
import Testing

@testable import ModelReferences

@Suite struct ReferenceTests {
  static let hubForms: [(String, String, String?, String?)] = [
    ("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", nil, nil),
    ("hf://meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B", nil, nil),
    ("org/name@v1.0", "org/name", "v1.0", nil),
    ("org/name@0123456789abcdef0123456789abcdef01234567/sub/dir", "org/name", "0123456789abcdef0123456789abcdef01234567", "sub/dir"),
    ("hf://org/name/original", "org/name", nil, "original"),
    ("hf://org/name@refs/pr/12/sub", "org/name", "refs/pr/12", "sub"),
    ("org/name@main/", "org/name", "main", nil),
    ("Org_1/model.v2-final", "Org_1/model.v2-final", nil, nil),
  ]

  @Test(arguments: hubForms)
  func hubReferences(text: String, repo: String, revision: String?, subfolder: String?) throws {
    let reference = try ModelReference.parse(text)
    #expect(reference == .hub(try HubReference(repo: repo, revision: revision, subfolder: subfolder)))
  }

  @Test(arguments: ["./no-such-model", "/no/such/model", "no-such-folder", "~/x/y"])
  func pathsStayPaths(text: String) throws {
    #expect(try ModelReference.parse(text) == .folder(text))
  }

  @Test func anExistingFolderIsAFolderEvenIfItReadsAsARepoID() throws {
    let scratch = TemporaryDirectory("hub")
    let text = scratch.file("org", "name")
    try FileSystem.createDirectory(text)
    #expect(try ModelReference.parse(text) == .folder(text))
  }

  static let invalid: [(String, String)] = [
    ("", "empty"),
    ("hf://justone", "repo"),
    ("org/na--me", "repo"),
    ("org/-name", "repo"),
    ("org/name@", "revision"),
    ("org/name@../../etc", "revision"),
    ("hf://org/name/../../x", "subfolder"),
    ("hf://org/name//x", "subfolder"),
    ("org/n a/b", "repo"),
    ("hf://" + String(repeating: "a", count: 50) + "/" + String(repeating: "b", count: 50), "repo"),
  ]

  @Test(arguments: invalid)
  func invalidReferencesAreTypedErrors(text: String, part: String) {
    #expect {
      _ = try ModelReference.parse(text)
    } throws: { error in
      switch (error as? ReferenceError, part) {
      case (.empty?, "empty"), (.invalidRepo?, "repo"), (.invalidRevision?, "revision"), (.invalidSubfolder?, "subfolder"):
        return true
      default: return false
      }
    }
  }

  @Test(arguments: [
    ("0123456789abcdef0123456789abcdef01234567", true), ("v1.0-rc_2", true), ("", false), (".", false),
    ("..", false), ("a/b", false), ("a\u{1B}[31m", false), (String(repeating: "a", count: 256), false),
  ])
  func commitsNamingCacheFoldersArePlain(commit: String, valid: Bool) {
    #expect(HeaderCache.isCommitName(commit) == valid)
  }

  @Test func descriptionsRoundTrip() throws {
    let reference = try HubReference(repo: "org/name", revision: "refs/pr/3", subfolder: "a/b")
    #expect(reference.description == "hf://org/name@refs/pr/3/a/b")
    #expect(try ModelReference.parse(reference.description) == .hub(reference))
  }

  @Test func resolveURLsAreQuotedAsHuggingFaceHubQuotesThem() {
    let client = HubClient(environment: HubEnvironment(["HF_ENDPOINT": "https://mirror.example/"]))
    defer { Task { await client.shutdown() } }
    #expect(
      client.resolveURL(repo: "org/name", revision: "refs/pr/1", file: "sub dir/model.safetensors")
        == "https://mirror.example/org/name/resolve/refs%2Fpr%2F1/sub%20dir/model.safetensors")
  }
}

