import Foundation
import TensorIO
import TestSupport
import Testing

@testable import ModelReferences

/// The `adaptest` executable built next to this test binary, run against the loopback Hub: the
/// CLI stays a thin front, and prints through every route what it prints for folders.
@Suite(.serialized) struct CLITests {
  static func run(_ arguments: [String], _ environment: [String: String]) throws -> (status: Int32, out: String, err: String) {
    let adaptest = try #require(ExternalCommand.adaptest, "adaptest is built next to the tests")
    let result = try ExternalCommand.run([adaptest] + arguments, environment: environment, inheritEnvironment: false)
    return (result.status, result.output, result.errors)
  }

  @Test func theOneArgumentFormReadsTheBaseTheAdapterNames() async throws {
    let scratch = TemporaryDirectory("hub")
    let pair = scratch.file("pair")
    _ = try Pairs.write(Pairs.vocabMismatch, to: pair)
    let config = FileSystem.join(pair, "adapter", "adapter_config.json")
    let text = String(decoding: try FileSystem.read(config), as: UTF8.self)
    #expect(text.contains(#""base_model_name_or_path": null"#))
    try AtomicFile.write(
      text: text.replacingOccurrences(of: #""base_model_name_or_path": null"#, with: #""base_model_name_or_path": "org/base""#),
      to: config)
    let hub = try await RoutesTests.hub(pair, gated: true)
    defer { Task { await hub.stop() } }
    var environment = [
      "HOME": scratch.file("home"), "HF_HOME": scratch.file("hf"), "ADAPTEST_HUB_CACHE": scratch.file("adaptest"),
      "HF_ENDPOINT": hub.endpoint,
    ]

    let folders = try Self.run(["check", FileSystem.join(pair, "base"), FileSystem.join(pair, "adapter"), "--json"], environment)
    #expect(folders.status == 2)
    // Gated base, no token: the adapter is read, the base is refused with how to give a token.
    let refused = try Self.run(["check", "org/adapter", "--json"], environment)
    #expect(refused.status == 3)
    #expect(refused.err.contains("org/base") && refused.err.contains("HF_TOKEN") && refused.out.isEmpty)

    environment["HF_TOKEN"] = FakeHub.token
    let fetched = try Self.run(["check", "org/adapter", "--json"], environment)
    #expect(fetched.status == 2)
    #expect(fetched.out == folders.out)
    #expect(fetched.err.contains("base: org/base (the adapter's base_model_name_or_path)"))
    #expect(fetched.err.contains("hf://org/base: fetched "))
    let offline = try Self.run(["check", "org/adapter", "--json"], environment.merging(["HF_HUB_OFFLINE": "1"]) { $1 })
    #expect(offline.status == 2 && offline.out == folders.out)
    #expect(offline.err.contains("nothing fetched"))
    // --loaded takes references too: the same adapter already in the model under another name.
    let loadedFolders = try Self.run(
      ["check", FileSystem.join(pair, "base"), FileSystem.join(pair, "adapter"), "--loaded",
       "first=" + FileSystem.join(pair, "adapter"), "--json"], environment)
    let loadedHub = try Self.run(["check", "org/adapter", "--loaded", "first=hf://org/adapter", "--json"], environment)
    #expect(loadedHub.status == loadedFolders.status && loadedHub.out == loadedFolders.out)
    #expect(loadedHub.out.contains(#""call": "load_adapter""#))
    let inspected = try Self.run(["inspect", "org/base", "--json"], environment)
    #expect(inspected.status == 0)
    let json = try JSONValue.parse(inspected.out)
    #expect(json["kind"]?.stringValue == "model" && json["path"]?.stringValue == "hf://org/base")
    for run in [refused, fetched, offline, inspected] { #expect(!(run.out + run.err).contains(FakeHub.token)) }
    await hub.stop()
  }
}
