import Dispatch
import SystemSupport
import TensorIO
import Testing

@testable import Synthesis

/// The adapter catalog's memos (saved tensors, resolved target modules) give what computing afresh
/// gives, also when many threads ask at once, as the matrix's planning does.
@Suite("Adapter catalog memos")
struct CatalogMemoTests {
  struct Asked: Sendable {
    var config: JSONObject
    var base: BaseModelDescription
  }

  /// Every reference variant on its family's base, with its target modules and without them (the
  /// architecture's defaults, resolved).
  static func questions() throws -> [Asked] {
    var asked: [Asked] = []
    for (_, family, spec) in AdapterConfigTests.variants {
      let base = try BaseModelSpec(family: family).describe()
      var config = try AdapterConfigBuilder.config(spec, base: base)
      asked.append(Asked(config: config, base: base))
      config["target_modules"] = .null
      asked.append(Asked(config: config, base: base))
    }
    return asked
  }

  static func answer<T>(_ body: () throws(SynthesisError) -> T) -> String {
    do { return "\(try body())" } catch { return "error: \(error)" }
  }

  @Test func memoizedAnswersAreFreshAnswers() throws {
    let asked = try Self.questions()
    let fresh = asked.map { q in
      (
        Self.answer { () throws(SynthesisError) in try AdapterCatalog.save(config: q.config, base: q.base, adapterName: "default") },
        Self.answer { () throws(SynthesisError) in try AdapterCatalog.resolveTargetModules(config: q.config, base: q.base) }
      )
    }
    let rounds = 4
    let memoized = Locked([(String, String)?](repeating: nil, count: asked.count * rounds))
    DispatchQueue.concurrentPerform(iterations: asked.count * rounds) { i in
      let q = asked[i % asked.count]
      let saved = Self.answer { () throws(SynthesisError) in try AdapterCatalog.savedTensors(config: q.config, base: q.base) }
      let resolved = Self.answer { () throws(SynthesisError) in
        try AdapterCatalog.resolvedTargetModules(config: q.config, base: q.base)
      }
      memoized.withLock { $0[i] = (saved, resolved) }
    }
    for (i, answer) in memoized.value.enumerated() {
      let expected = fresh[i % asked.count]
      #expect(answer?.0 == expected.0, "saved tensors, question \(i % asked.count)")
      #expect(answer?.1 == expected.1, "resolved target modules, question \(i % asked.count)")
    }
  }
}
