/// The parameters an adapter has on the loading base, found by either key a checkpoint may name one with:
/// the name PEFT saves it under, or its model key under the loading adapter's name (PEFT accepts both).
///
/// Made once per adapter config, base and name (``AdapterCatalog/expectedParameters(config:base:adapterName:)``):
/// the matrix's cases share them, and building the key table for every case was half of deriving the
/// outcomes (`perf record` of `run --list`).
public struct ExpectedParameters: Sendable {
  public let tensors: [AdapterTensor]
  /// The loading adapter's name, which ``modelKeys`` carry.
  public let adapterName: String
  /// Each tensor's model key under ``adapterName``, in the order of ``tensors``.
  public let modelKeys: [String]
  /// Saved names and model keys, each to its tensor's position; a key both tensors have goes to the later.
  private let positions: [String: Int]

  public init(_ tensors: [AdapterTensor], adapterName: String) {
    let modelKeys = tensors.map { $0.modelKey(adapterName: adapterName) }
    var positions = [String: Int](minimumCapacity: 2 * tensors.count)
    for (i, tensor) in tensors.enumerated() {
      positions[tensor.name] = i
      positions[modelKeys[i]] = i
    }
    self.tensors = tensors
    self.adapterName = adapterName
    self.modelKeys = modelKeys
    self.positions = positions
  }

  /// The position in ``tensors`` of the parameter a checkpoint key fills, if any.
  public func position(ofKey key: String) -> Int? { positions[key] }
}
