/// Appends parameters in torch's state-dict order: a module's own parameters in registration
/// order (`weight` before `bias`), then its children, depth first.
struct LayoutBuilder {
  private(set) var entries: [LayoutEntry] = []

  /// `nn.Linear(in, out)`: weight `(out, in)`, then bias `(out,)`.
  mutating func linear(
    _ path: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = false, saved: SavedForm = .asIs,
    embedding: EmbeddingRole? = nil
  ) {
    add(path + ".weight", [outFeatures, inFeatures], .linear, .weights, saved: saved, embedding: embedding)
    if bias { add(path + ".bias", [outFeatures], .linear, .zeros) }
  }

  /// GPT-2 `Conv1D(nf: out, nx: in)`: weight `(in, out)`, bias `(out,)`.
  mutating func conv1D(_ path: String, in inFeatures: Int, out outFeatures: Int) {
    add(path + ".weight", [inFeatures, outFeatures], .conv1D, .weights)
    add(path + ".bias", [outFeatures], .conv1D, .zeros)
  }

  /// `nn.Embedding(count, dim)`: weight `(count, dim)`.
  mutating func embedding(
    _ path: String, count: Int, dim: Int, saved: SavedForm = .asIs, embedding: EmbeddingRole? = nil
  ) {
    add(path + ".weight", [count, dim], .embedding, .weights, saved: saved, embedding: embedding)
  }

  /// LayerNorm / RMSNorm of width `dim`: weight (at `scale`), then bias if it has one.
  mutating func norm(_ path: String, dim: Int, bias: Bool = false, scale: ValueDistribution = .ones) {
    add(path + ".weight", [dim], .norm, scale)
    if bias { add(path + ".bias", [dim], .norm, .zeros) }
  }

  /// A parameter with an explicit name, shape and save form.
  mutating func add(
    _ name: String, _ shape: [Int], _ module: LayerKind, _ distribution: ValueDistribution, saved: SavedForm = .asIs,
    embedding: EmbeddingRole? = nil
  ) {
    let spec = ParameterSpec(name: name, shape: shape, module: module, distribution: distribution, embedding: embedding)
    entries.append(LayoutEntry(spec, saved: saved))
  }
}
