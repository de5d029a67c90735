import AdapterLoading
import Checkpoints
import Foundation
import ModelReferences
import Synthesis
import TensorIO

/// Generated (base, adapter) pairs and the outcome `check` reports for them.
enum Pairs {
  /// A clean load into a base saved in three shards.
  static let shardedClean = """
    {"id": "sharded", "base": {"architecture": "llama",
      "config": {"vocab_size": 128, "hidden_size": 16, "num_hidden_layers": 2},
      "mutations": [{"shard": {"files": 3}}]},
     "adapter": {"tuner": "LORA", "config": {"r": 4, "target_modules": ["q_proj", "v_proj"]}}}
    """

  /// A load that fails: LoRA on embed_tokens trained for 128 tokens, the base grown to 160.
  static let vocabMismatch = """
    {"id": "vocab", "base": {"architecture": "llama",
      "config": {"vocab_size": 128, "hidden_size": 16, "num_hidden_layers": 2},
      "mutations": [{"resize_vocab": {"to": 160}}]},
     "adapter": {"tuner": "LORA", "config": {"r": 4, "target_modules": ["q_proj", "embed_tokens"]}}}
    """

  /// Writes the pair of `spec` into `folder` (`base/`, `adapter/`).
  static func write(_ spec: String, to folder: String, sparse: Bool = false) throws -> PairPlan {
    let plan = try PairPlan(try PairSpec.decode(try JSONValue.parse(spec)))
    try PairWriter(formats: .standard).write(plan, to: folder, format: .safetensors, seed: 7, sparseBase: sparse)
    return plan
  }

  /// What `adaptest check BASE ADAPTER --json` prints for two resolved checkpoints.
  static func outcome(base: ResolvedCheckpoint, adapter: ResolvedCheckpoint, profile: LoadProfile = .recommended)
    throws -> (json: String, status: LoadOutcome.Status)
  {
    let model = try BaseModel(config: base.config, weights: base.weights.tensors, source: base.path)
    let source = AdapterSource(
      config: try AdapterConfig(json: adapter.config, source: adapter.configPath), tensors: adapter.weights.tensors,
      path: adapter.path)
    let outcome = LoadSimulator.simulate(base: model, adapter: source, context: LoadContext(), profile: profile)
    return (JSONWriter(indent: 2).string(outcome.json), outcome.status)
  }

  /// Lays `folder`'s files out as huggingface_hub caches a snapshot of `repo` at `commit`:
  /// content in `blobs/<etag>`, `snapshots/<commit>/<file>` relative symbolic links to them,
  /// `refs/main` holding the commit.
  static func cache(_ folder: String, as repo: String, commit: String, in hubCache: String, subfolder: String? = nil)
    throws
  {
    let repoFolder = FileSystem.join(hubCache, "models--" + repo.replacingOccurrences(of: "/", with: "--"))
    let snapshot = FileSystem.join(repoFolder, "snapshots", commit)
    let target = subfolder.map { FileSystem.join(snapshot, $0) } ?? snapshot
    try FileSystem.createDirectory(FileSystem.join(repoFolder, "blobs"))
    try FileSystem.createDirectory(FileSystem.join(repoFolder, "refs"))
    try FileSystem.createDirectory(target)
    let manager = FileManager.default
    for name in try FileSystem.contents(ofDirectory: folder) where FileSystem.isFile(FileSystem.join(folder, name)) {
      // A stand-in for the blob's sha256 etag: unique per file and commit.
      let blob = String(format: "%016llx", UInt64(bitPattern: Int64((repo + commit + (subfolder ?? "") + name).hashValue)))
      try manager.copyItem(atPath: FileSystem.join(folder, name), toPath: FileSystem.join(repoFolder, "blobs", blob))
      let depth = 2 + (subfolder.map { $0.split(separator: "/").count } ?? 0)
      let relative = String(repeating: "../", count: depth) + "blobs/" + blob
      try manager.createSymbolicLink(atPath: FileSystem.join(target, name), withDestinationPath: relative)
    }
    try AtomicFile.write(text: commit, to: FileSystem.join(repoFolder, "refs", "main"))
  }
}
