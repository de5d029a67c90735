import SystemSupport
import TensorIO

extension AdapterConfig {
  /// ``init(json:source:)``, answered from the configs this process already decoded from an object with
  /// the same members: every case of a run decodes its adapter's config, the matrix's cases share a few
  /// hundred, and an older release's profile decodes each again without the fields it does not know
  /// (decoding was a quarter of reading a case's adapter, `perf record` of a default run). A config is
  /// a function of its object but for `source`, which the answer always takes from the asking call; an
  /// error names that file too, as it is never kept.
  /// - Throws: ``AdapterConfigError`` as ``init(json:source:)`` does.
  public static func decoding(_ json: JSONObject, source: String) throws(AdapterConfigError) -> AdapterConfig {
    var config = try decoded.value(for: json) { () throws(AdapterConfigError) in
      try AdapterConfig(json: json, source: source)
    }
    config.source = source
    return config
  }

  /// Enough for the default run's distinct configs to stay between a matrix row's cases.
  private static let decoded = Memo<JSONObject, AdapterConfig>(capacity: 512)
}
