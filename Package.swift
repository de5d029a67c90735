// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
  .enableUpcomingFeature("MemberImportVisibility"),
  .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
  name: "Adaptest",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "adaptest", targets: ["adaptest"]),
    .library(name: "TensorIO", targets: ["TensorIO"]),
    .library(name: "SafeTensors", targets: ["SafeTensors"]),
    .library(name: "HDF5Checkpoint", targets: ["HDF5Checkpoint"]),
    .library(name: "Checkpoints", targets: ["Checkpoints"]),
    .library(name: "AdapterLoading", targets: ["AdapterLoading"]),
    .library(name: "Synthesis", targets: ["Synthesis"]),
    .library(name: "Conformance", targets: ["Conformance"]),
    .library(name: "ModelReferences", targets: ["ModelReferences"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    // Only ModelReferences (Hub reads), the CLI and their tests depend on these.
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
  ],
  targets: [
    .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
    .target(name: "TensorIO", swiftSettings: strictSettings),
    .target(name: "SafeTensors", dependencies: ["TensorIO"], swiftSettings: strictSettings),
    .target(name: "HDF5Checkpoint", dependencies: ["TensorIO", "CHDF5"], swiftSettings: strictSettings),
    .target(
      name: "Checkpoints", dependencies: ["TensorIO", "SafeTensors", "HDF5Checkpoint"],
      swiftSettings: strictSettings),
    .target(name: "AdapterLoading", dependencies: ["TensorIO"], swiftSettings: strictSettings),
    .target(
      name: "Synthesis", dependencies: ["TensorIO", "Checkpoints", "AdapterLoading"], swiftSettings: strictSettings),
    .target(
      name: "Conformance",
      dependencies: [
        "TensorIO", "SafeTensors", "HDF5Checkpoint", "Checkpoints", "AdapterLoading", "Synthesis",
        .product(name: "Yams", package: "Yams"),
      ],
      swiftSettings: strictSettings),
    .target(
      name: "ModelReferences",
      dependencies: [
        "TensorIO", "SafeTensors", "Checkpoints",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
      ],
      swiftSettings: strictSettings),
    .executableTarget(
      name: "adaptest",
      dependencies: [
        "TensorIO", "SafeTensors", "HDF5Checkpoint", "Checkpoints", "AdapterLoading", "Conformance", "Synthesis",
        "ModelReferences",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: strictSettings),
    .executableTarget(
      name: "safetensors-bench", dependencies: ["SafeTensors", "TensorIO"], path: "Benchmarks/SafeTensorsBench",
      swiftSettings: strictSettings),
    .testTarget(name: "TensorIOTests", dependencies: ["TensorIO"], swiftSettings: strictSettings),
    .testTarget(
      name: "SafeTensorsTests", dependencies: ["SafeTensors", "Checkpoints", "TensorIO"],
      resources: [.copy("Fixtures")], swiftSettings: strictSettings),
    .testTarget(
      name: "HDF5CheckpointTests", dependencies: ["HDF5Checkpoint", "TensorIO"],
      resources: [.copy("Fixtures")], swiftSettings: strictSettings),
    .testTarget(
      name: "CheckpointsTests", dependencies: ["Checkpoints", "SafeTensors", "HDF5Checkpoint", "TensorIO"],
      resources: [.copy("Fixtures")], swiftSettings: strictSettings),
    .testTarget(
      name: "AdapterLoadingTests", dependencies: ["AdapterLoading", "Checkpoints", "TensorIO"],
      resources: [.copy("Fixtures")], swiftSettings: strictSettings),
    .testTarget(
      name: "SynthesisTests", dependencies: ["Synthesis", "AdapterLoading", "Checkpoints", "TensorIO"],
      resources: [.copy("Fixtures")], swiftSettings: strictSettings),
    .testTarget(
      name: "ModelReferencesTests",
      dependencies: [
        "ModelReferences", "Checkpoints", "AdapterLoading", "Synthesis", "TensorIO",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
      ],
      swiftSettings: strictSettings),
    .testTarget(
      name: "ConformanceTests", dependencies: ["Conformance", "TensorIO"], exclude: ["Fixtures"],
      swiftSettings: strictSettings),
  ],
  swiftLanguageModes: [.v6]
)
