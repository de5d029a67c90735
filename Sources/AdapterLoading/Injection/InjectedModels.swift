import SystemSupport

/// The models `PeftModel.init` built, kept by everything it reads: the cases of a matrix row load the same
/// base with the same config (only their checkpoints differ), and the profiles that share a release's
/// injection build the same model again; injecting was a fifth of a built-in profile's answer (`perf record`
/// of a default run). Each ``TunerCatalog`` keeps its own, since the tuners decide what is injected.
///
/// A config's `source` only names its file in errors, which are never kept: a model is kept without it
/// and given the asking config's on the way out.
final class InjectedModels: Sendable {
  private struct Key: Hashable, Sendable {
    var base: BaseModel
    var adapterName: String
    /// The config as given, `source` emptied.
    var config: AdapterConfig
    var options: InjectionOptions
    /// Made once, from all but the base's module tree; equality compares everything (the same base, read
    /// once by its caller, compares in constant time: its arrays are the same storage).
    private var digest: Int

    init(base: BaseModel, adapterName: String, config: AdapterConfig, options: InjectionOptions) {
      self.base = base
      self.adapterName = adapterName
      self.config = config
      self.config.source = ""
      self.options = options
      var hasher = Hasher()
      // A matrix row's loading bases differ from its training base in the config (a width, a depth, a
      // vocabulary), and hashing the config costs a few hundredths of what a collision's comparison does.
      hasher.combine(base.config)
      hasher.combine(base.tree.modules.count)
      hasher.combine(adapterName)
      hasher.combine(config.json)
      hasher.combine(options)
      digest = hasher.finalize()
    }

    func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    static func == (a: Key, b: Key) -> Bool {
      a.digest == b.digest && a.adapterName == b.adapterName && a.options == b.options && a.config == b.config
        && a.base == b.base
    }
  }

  private struct Made: Sendable {
    var model: PeftModel
    var warnings: [PythonWarning]
    /// The model's keys for the adapter, as its first load reads them before changing anything.
    var keys: ModelKeys
  }

  /// A few matrix rows' worth: the jobs work through the cases in order, a row at a time.
  private let made = Memo<Key, Made>(capacity: 64)

  /// `PeftModel(base:adapterName:config:options:...)` as `make` builds it, and the warnings it appends;
  /// built again when it threw (an error's message may name the config's file). With it, its keys for
  /// `adapterName` (``ModelKeys``), read once too.
  func model(
    base: BaseModel, adapterName: String, config: AdapterConfig, options: InjectionOptions,
    warnings: inout [PythonWarning], make: (inout [PythonWarning]) throws(PythonError) -> PeftModel
  ) throws(PythonError) -> (model: PeftModel, keys: ModelKeys) {
    let key = Key(base: base, adapterName: adapterName, config: config, options: options)
    let found = try made.value(for: key) { () throws(PythonError) -> Made in
      var appended: [PythonWarning] = []
      do throws(PythonError) {
        var model = try make(&appended)
        model.setSource("", of: adapterName)
        let keys = ModelKeys(model, adapterName: adapterName, withEveryAdaptersPrefixes: true)
        return Made(model: model, warnings: appended, keys: keys)
      } catch {
        warnings += appended
        throw error
      }
    }
    warnings += found.warnings
    var model = found.model
    model.setSource(config.source, of: adapterName)
    return (model, found.keys)
  }
}

extension PeftModel {
  /// Names `source` as the file the adapter's config came from.
  fileprivate mutating func setSource(_ source: String, of adapterName: String) {
    guard let i = adapters.firstIndex(where: { $0.name == adapterName }), adapters[i].config.source != source else { return }
    adapters[i].config.source = source
  }
}
