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
    // libhdf5's headers (Debian's serial build, or a plain install: shim.h); linked below.
    .systemLibrary(name: "CHDF5", providers: [.apt(["libhdf5-dev"])]),
    // Internal (no product): processes, locks, the monotonic clock, descriptor I/O.
    .target(name: "SystemSupport", swiftSettings: strictSettings),
    .target(name: "TensorIO", dependencies: ["SystemSupport"], swiftSettings: strictSettings),
    .target(name: "SafeTensors", dependencies: ["TensorIO"], swiftSettings: strictSettings),
    .target(
      name: "HDF5Checkpoint", dependencies: ["SystemSupport", "TensorIO", "CHDF5"], swiftSettings: strictSettings,
      linkerSettings: [
        // The distribution's own libhdf5, from its static archive on Linux: the shared library brings about
        // thirty more (curl, TLS, Kerberos, LDAP, for an S3 driver Adaptest never uses) whose loading cost every
        // process 5 ms of start-up, whether it reads HDF5 or not (Benchmarks/README.md).
        .linkedLibrary(":libhdf5_serial.a", .when(platforms: [.linux])),
        .linkedLibrary("hdf5", .when(platforms: [.macOS])),
        .linkedLibrary("sz"), .linkedLibrary("z"), .linkedLibrary("m"),
      ]),
    .target(
      name: "Checkpoints", dependencies: ["TensorIO", "SafeTensors", "HDF5Checkpoint"],
      swiftSettings: strictSettings),
    .target(name: "AdapterLoading", dependencies: ["SystemSupport", "TensorIO"], swiftSettings: strictSettings),
    .target(
      name: "Synthesis", dependencies: ["SystemSupport", "TensorIO", "Checkpoints", "AdapterLoading"], swiftSettings: strictSettings),
    .target(
      name: "Conformance",
      dependencies: [
        "SystemSupport", "TensorIO", "SafeTensors", "HDF5Checkpoint", "Checkpoints", "AdapterLoading", "Synthesis",
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
        "SystemSupport", "TensorIO", "SafeTensors", "HDF5Checkpoint", "Checkpoints", "AdapterLoading", "Conformance",
        "Synthesis", "ModelReferences",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: strictSettings),
    .executableTarget(
      name: "safetensors-bench", dependencies: ["SafeTensors", "TensorIO"], path: "Benchmarks/SafeTensorsBench",
      swiftSettings: strictSettings),
    .executableTarget(
      name: "report-bench", dependencies: ["Conformance", "TensorIO"], path: "Benchmarks/ReportBench",
      swiftSettings: strictSettings),
    // Helpers every test target shares: temporary folders, the repository's paths, a seeded
    // generator, external commands and the reference Python.
    .target(
      name: "TestSupport", dependencies: ["SystemSupport", "TensorIO"], path: "Tests/TestSupport",
      swiftSettings: strictSettings),
    .testTarget(name: "TensorIOTests", dependencies: ["TensorIO", "TestSupport"], swiftSettings: strictSettings),
    .testTarget(
      name: "SafeTensorsTests", dependencies: ["TestSupport", "SafeTensors", "Checkpoints", "TensorIO"],
      resources: [.copy("Fixtures")], swiftSettings: strictSettings),
    .testTarget(
      name: "HDF5CheckpointTests", dependencies: ["TestSupport", "HDF5Checkpoint", "TensorIO"],
      resources: [.copy("Fixtures")], swiftSettings: strictSettings),
    .testTarget(
      name: "CheckpointsTests", dependencies: ["TestSupport", "Checkpoints", "SafeTensors", "HDF5Checkpoint", "TensorIO"],
      resources: [.copy("Fixtures")], swiftSettings: strictSettings),
    .testTarget(
      name: "AdapterLoadingTests", dependencies: ["TestSupport", "AdapterLoading", "Checkpoints", "TensorIO"],
      resources: [.copy("Fixtures")], swiftSettings: strictSettings),
    .testTarget(
      name: "SynthesisTests", dependencies: ["TestSupport", "Synthesis", "AdapterLoading", "Checkpoints", "TensorIO"],
      resources: [.copy("Fixtures")], swiftSettings: strictSettings),
    .testTarget(
      name: "ModelReferencesTests",
      dependencies: [
        "TestSupport", "ModelReferences", "Checkpoints", "AdapterLoading", "Synthesis", "TensorIO",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
      ],
      swiftSettings: strictSettings),
    .testTarget(name: "CLITests", dependencies: ["TestSupport", "TensorIO"], swiftSettings: strictSettings),
    .testTarget(
      name: "ConformanceTests", dependencies: ["TestSupport", "SystemSupport", "AdapterLoading", "Checkpoints", "Conformance", "HDF5Checkpoint", "TensorIO"],
      exclude: ["Fixtures"],
      swiftSettings: strictSettings),
  ],
  swiftLanguageModes: [.v6]
)
