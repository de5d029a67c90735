import TensorIO
import TestSupport
import Testing

/// `check` reads its base on another thread while the command line is parsed, guessing from the words of
/// the command line which folder is the base. Whatever the guesses, the answer must be the one a single
/// thread gives (`ADAPTEST_READ_AHEAD=0`): status, standard output and standard error alike.
@Suite("check: reading ahead changes nothing") struct CheckReadAheadTests {
  typealias Exit = CommandLineTests.Exit

  /// A command line, its words written with `{base}`, `{adapter}`, … for the folders of one pair.
  struct Form: Sendable, CustomTestStringConvertible {
    let name: String
    let words: [String]
    /// The status the README's table gives this outcome, where it is plain from the inputs.
    var status: Int32?
    /// The pair's mutations (extra YAML lines of the case's base and adapter sections).
    var base = ""
    var adapter = ""
    var testDescription: String { name }
  }

  static let forms: [Form] = [
    Form(name: "BASE ADAPTER", words: ["{base}", "{adapter}"], status: Exit.success),
    Form(name: "ADAPTER --base BASE, verbose", words: ["{adapter}", "--base", "{base}", "--verbose"], status: Exit.success),
    Form(name: "ADAPTER --base=BASE, JSON", words: ["{adapter}", "--base={base}", "--json"], status: Exit.success),
    Form(name: "ADAPTER alone, its base_model_name_or_path a folder", words: ["{named-adapter}"], status: Exit.success),
    Form(
      name: "every profile, findings", words: ["{base}", "{adapter}", "--all-versions", "--json"],
      adapter: "  mutations: [drop_keys: {match: lora_B}]"),
    Form(
      name: "a rank mismatch (the load fails)", words: ["{base}", "{adapter}", "--profile", "peft", "--verbose"],
      status: Exit.loadFails, adapter: "  mutations: [wrong_rank: {r: 8}]"),
    Form(
      name: "a resized vocabulary, another adapter already loaded",
      words: ["{base}", "{adapter}", "--loaded", "first={adapter}", "--adapter-name", "second"],
      base: "  mutations: [resize_vocab: {to: 160}]"),
    Form(name: "a Hub base in the Hugging Face cache", words: ["org/base", "{adapter}"], status: Exit.success),
    Form(
      name: "ADAPTER alone, its base_model_name_or_path a Hub id in the cache", words: ["{hub-named-adapter}"],
      status: Exit.success),
    Form(name: "an HDF5 base (not read ahead)", words: ["{hdf5-base}", "{adapter}"], status: Exit.success),
    Form(name: "a base whose config is not JSON", words: ["{broken-base}", "{adapter}"], status: Exit.invalidInput),
    Form(name: "base and adapter swapped", words: ["{adapter}", "{base}"], status: Exit.invalidInput),
    Form(name: "the base given twice (a usage error)", words: ["{base}", "{adapter}", "--base", "{base}"], status: Exit.usage),
  ]

  @Test("the same status and output with and without reading ahead", arguments: forms)
  func sameAnswer(_ form: Form) throws {
    let folder = TemporaryDirectory("read-ahead")
    let pair = try CommandLineTests.pair(folder, id: "pair", base: form.base, adapter: form.adapter)
    let folders = try Self.folders(of: pair, in: folder, for: form.words)
    let words = form.words.map { word in folders.reduce(word) { $0.replacing("{\($1.key)}", with: $1.value) } }
    let hubCache = try Self.huggingFaceCache(holding: pair + "/base", as: "org/base", in: folder)
    let ahead = try Self.check(words, hubCache: hubCache, readAhead: true)
    let alone = try Self.check(words, hubCache: hubCache, readAhead: false)
    if let status = form.status { #expect(ahead.status == status, "\(ahead.output)\(ahead.errors)") }
    #expect(ahead.status <= Exit.usage, "ended by a signal: \(ahead.output)\(ahead.errors)")
    #expect(ahead.status == alone.status)
    #expect(ahead.output == alone.output)
    #expect(ahead.errors == alone.errors)
  }

  static func check(_ words: [String], hubCache: String, readAhead: Bool) throws -> ExternalCommand.Result {
    let executable = try #require(ExternalCommand.adaptest, "adaptest is built next to the tests")
    return try ExternalCommand.run(
      [executable, "check"] + words,
      environment: [
        "NO_COLOR": "1", "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": hubCache, "ADAPTEST_READ_AHEAD": readAhead ? "1" : "0",
      ])
  }

  /// A Hugging Face cache holding `model` as `repo` at one commit (files copied into the snapshot); its root.
  static func huggingFaceCache(holding model: String, as repo: String, in folder: TemporaryDirectory) throws -> String {
    let root = folder.file("hf")
    let repoFolder = FileSystem.join(root, "models--" + repo.replacing("/", with: "--"))
    let commit = String(repeating: "ab", count: 20)
    try copyFiles(of: model, to: FileSystem.join(repoFolder, "snapshots", commit))
    try FileSystem.createDirectory(FileSystem.join(repoFolder, "refs"))
    try AtomicFile.write(text: commit, to: FileSystem.join(repoFolder, "refs", "main"))
    return root
  }

  /// The pair's folders, and those the words name beyond them, made from the pair.
  static func folders(of pair: String, in folder: TemporaryDirectory, for words: [String]) throws -> [String: String] {
    var folders = ["base": pair + "/base", "adapter": pair + "/adapter"]
    let named = words.joined(separator: " ")
    for (word, base) in [("named-adapter", pair + "/base"), ("hub-named-adapter", "org/base")] where named.contains("{\(word)}") {
      let copy = folder.file(word)
      try copyFiles(of: pair + "/adapter", to: copy)
      let configPath = FileSystem.join(copy, "adapter_config.json")
      let config = try #require(try JSONValue.parse(FileSystem.read(configPath)).objectValue)
      #expect(config["base_model_name_or_path"] != nil)
      let renamed = JSONObject(
        config.members.map { ($0.key, $0.key == "base_model_name_or_path" ? .string(base) : $0.value) })
      try AtomicFile.write(text: JSONWriter(indent: 2).string(.object(renamed)), to: configPath)
      folders[word] = copy
    }
    if named.contains("{hdf5-base}") {
      let converted = folder.file("hdf5-base")
      let result = try CommandLineTests.adaptest(["convert", pair + "/base", converted, "--to", "hdf5"])
      try #require(result.status == Exit.success, "\(result.errors)")
      folders["hdf5-base"] = converted
    }
    if named.contains("{broken-base}") {
      let copy = folder.file("broken-base")
      try copyFiles(of: pair + "/base", to: copy)
      try AtomicFile.write(text: "{\"model_type\": \"llama\",", to: FileSystem.join(copy, "config.json"))
      folders["broken-base"] = copy
    }
    return folders
  }

  /// Copies a flat folder (a generated pair's base or adapter).
  static func copyFiles(of source: String, to destination: String) throws {
    try FileSystem.createDirectory(destination)
    for name in try FileSystem.contents(ofDirectory: source) {
      try AtomicFile.write(try FileSystem.read(FileSystem.join(source, name)), to: FileSystem.join(destination, name))
    }
  }
}
