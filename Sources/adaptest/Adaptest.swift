import ArgumentParser

@main
struct Adaptest: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "adaptest",
    abstract: "Predicts and checks what happens when a PEFT adapter is loaded into a base model.",
    subcommands: [
      InspectCommand.self, ConvertCommand.self, CheckCommand.self, GenerateCommand.self, CorpusCommand.self,
      RunCommand.self, ReportCommand.self, DiffCommand.self, DriverCommand.self,
    ])
}
