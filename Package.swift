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
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
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
    .executableTarget(
      name: "adaptest",
      dependencies: [
        "TensorIO", "SafeTensors", "HDF5Checkpoint", "Checkpoints", "AdapterLoading", "Conformance", "Synthesis",
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
      name: "ConformanceTests", dependencies: ["Conformance", "TensorIO"], swiftSettings: strictSettings),
  ],
  swiftLanguageModes: [.v6]
)
