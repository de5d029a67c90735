/// What goes into generated tensors.
public enum TensorData: Sendable, Hashable {
  /// Deterministic values from ``TensorDataGenerator`` with this seed.
  case dense(seed: UInt64)
  /// No data: every tensor's region is left a hole, so a real-size model is a sparse file that
  /// reads back as zeros and takes no disk space.
  case sparse
}
