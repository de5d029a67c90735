import ArgumentParser
import Conformance
import TensorIO

@main
struct Adaptest: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "adaptest",
    abstract: "Predicts and checks what happens when a PEFT adapter is loaded into a base model.",
    subcommands: [
      InspectCommand.self, ConvertCommand.self, CheckCommand.self, GenerateCommand.self, CorpusCommand.self,
      RunCommand.self, ReportCommand.self, DiffCommand.self, DriverCommand.self,
    ])

  @Flag(help: "Print the version, the corpus hash (of ./Corpus) and the PEFT releases the profiles model.")
  var version = false

  func run() async throws {
    guard version else { throw CleanExit.helpRequest(self) }
    print(versionText(corpusRoot: "Corpus"))
  }
}

/// `adaptest --version`: the tool, the corpus this checkout would run, what each profile models.
func versionText(corpusRoot: String) -> String {
  var lines = ["adaptest \(AdaptestVersion.current)"]
  if let hash = try? Corpus.fileHash(root: corpusRoot) {
    lines.append("corpus \(hash) (./\(corpusRoot), as results.json records it)")
  } else {
    lines.append("corpus: none in ./\(corpusRoot)")
  }
  for (profile, releases) in BuiltinLoaders.modelledReleases { lines.append("profile \(profile): \(releases)") }
  return lines.joined(separator: "\n")
}
