// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
  .enableUpcomingFeature("MemberImportVisibility"),
  .enableUpcomingFeature("ExistentialAny"),
]

/// Whether this manifest is being built as the root package. SwiftPM refuses unsafe flags in a package
/// depended on by version; such a dependency is checked out under a `checkouts` folder (`.build/checkouts`,
/// Xcode's `SourcePackages/checkouts`), and gets none of the flags below.
let isRootPackage = !Context.packageDirectory.contains("/checkouts/")

/// A concrete generic type (`[String: Int]`, `Memo<Key, Value>`) is by default named by a mangled string the
/// runtime demangles at its first use, checking the type's generic requirements by conformance lookups; each
/// lookup not yet cached scans all 9,377 conformance records of the executable (about 60 µs). Direct metadata
/// accessors pass the witness tables instead: a `check` scans 41 times instead of 53 (`perf probe`), 1.5 ms of
/// a Llama-3-70B check (Benchmarks/README.md). The flags reach this package's targets only, not its dependencies.
let metadataAccessorSettings: [SwiftSetting] =
  isRootPackage ? [.unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"])] : []

/// The libraries' settings. In a debug build they are compiled optimized all the same: `swift test`, CI's runs
/// and contributors' `swift run adaptest run` are debug builds, and unoptimized the default run took four times
/// the CPU of a release build (Benchmarks/README.md). `ADAPTEST_ONONE=1 swift build` leaves them unoptimized,
/// for stepping through them in a debugger. Test targets and the executable's front stay unoptimized.
let librarySettings: [SwiftSetting] =
  strictSettings + metadataAccessorSettings
  + (isRootPackage && Context.environment["ADAPTEST_ONONE"] == nil
    ? [.unsafeFlags(["-O"], .when(configuration: .debug))] : [])

/// The executable's 120,000 relative relocations cost part of every start-up (the loader reads a 2.8 MB
/// table); lld packs them into a few kilobytes (DT_RELR, glibc 2.36+). `--static-swift-stdlib` also exports
/// every Swift symbol of the executable (37,667), which the runtime's start-up `dladdr` scanned one by one:
/// nothing loads against this executable, so none is exported. Release builds on Linux only.
let executableLinkerSettings: [LinkerSetting] =
  isRootPackage
  ? [
    .unsafeFlags(
      ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
      .when(platforms: [.linux], configuration: .release))
  ] : []

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
    // The tests' reference for reading corpus YAML (`yaml-reference`, run by YAMLComposerTests); the targets read
    // it with libyaml itself.
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    // SHA-256 (SystemSupport). Already resolved among async-http-client's dependencies, but built only for this:
    // BoringSSL's C sources add about four minutes to a clean CI run.
    .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    // Only ModelReferences (Hub reads), the CLI and their tests depend on these.
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
  ],
  targets: [
    // libhdf5's headers (Debian's serial build, or a plain install: shim.h); linked below.
    .systemLibrary(name: "CHDF5", providers: [.apt(["libhdf5-dev"])]),
    // <malloc.h>'s tuning, which the Glibc module leaves out (SystemSupport's HeapGrowth).
    .systemLibrary(name: "CMalloc"),
    // glibc's CPU affinity calls, which the Glibc module leaves out (SystemSupport's ThreadJob).
    .systemLibrary(name: "CScheduling"),
    // libyaml's parser (Conformance's YAMLComposer); linked below.
    .systemLibrary(name: "CYAML", providers: [.apt(["libyaml-dev"])]),
    // Internal (no product): processes, locks, the monotonic clock, descriptor I/O, SHA-256, heap growth.
    .target(
      name: "SystemSupport", dependencies: ["CMalloc", "CScheduling", .product(name: "Crypto", package: "swift-crypto")],
      swiftSettings: librarySettings),
    .target(name: "TensorIO", dependencies: ["SystemSupport"], swiftSettings: librarySettings),
    .target(name: "SafeTensors", dependencies: ["TensorIO"], swiftSettings: librarySettings),
    .target(
      name: "HDF5Checkpoint", dependencies: ["SystemSupport", "TensorIO", "CHDF5"], swiftSettings: librarySettings,
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
      swiftSettings: librarySettings),
    .target(name: "AdapterLoading", dependencies: ["SystemSupport", "TensorIO"], swiftSettings: librarySettings),
    .target(
      name: "Synthesis", dependencies: ["SystemSupport", "TensorIO", "Checkpoints", "AdapterLoading"], swiftSettings: librarySettings),
    .target(
      name: "Conformance",
      dependencies: [
        "SystemSupport", "TensorIO", "SafeTensors", "HDF5Checkpoint", "Checkpoints", "AdapterLoading", "Synthesis", "CYAML",
      ],
      swiftSettings: librarySettings,
      linkerSettings: [
        // From the static archive on Linux, as libhdf5: Yams's Swift layer brought the whole of Foundation (with
        // CoreFoundation and ICU's 40 MB of data) into the executable, 2–3 ms of every start-up (Benchmarks/README.md).
        .linkedLibrary(":libyaml.a", .when(platforms: [.linux])),
        .linkedLibrary("yaml", .when(platforms: [.macOS])),
      ]),
    .target(
      name: "ModelReferences",
      dependencies: [
        "TensorIO", "SafeTensors", "Checkpoints",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
      ],
      swiftSettings: librarySettings),
    .executableTarget(
      name: "adaptest",
      dependencies: [
        "SystemSupport", "TensorIO", "SafeTensors", "HDF5Checkpoint", "Checkpoints", "AdapterLoading", "Conformance",
        "Synthesis", "ModelReferences",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: strictSettings + metadataAccessorSettings, linkerSettings: executableLinkerSettings),
    .executableTarget(
      name: "safetensors-bench", dependencies: ["SafeTensors", "TensorIO"], path: "Benchmarks/SafeTensorsBench",
      swiftSettings: strictSettings),
    // Yams composing corpus YAML in a process of its own: the reference YAMLComposerTests compare with (the test
    // binary holds the libyaml `adaptest` ships; Yams bundles another copy, and one binary cannot hold both).
    .executableTarget(
      name: "yaml-reference", dependencies: [.product(name: "Yams", package: "Yams")], path: "Tests/YAMLReference",
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
      name: "ConformanceTests",
      dependencies: [
        "TestSupport", "SystemSupport", "CScheduling", "AdapterLoading", "Checkpoints", "Conformance", "HDF5Checkpoint",
        "TensorIO",
      ],
      exclude: ["Fixtures"],
      swiftSettings: strictSettings),
  ],
  swiftLanguageModes: [.v6]
)
