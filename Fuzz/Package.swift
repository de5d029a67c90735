// swift-tools-version:5.4
// Tools version 5.4 on purpose: from 5.5 on, SwiftPM renames an executable's entry point and defines
// `main` as an alias of it at link time, which collides with the `main` that libFuzzer brings (see
// README.md, "How the targets are built").
import PackageDescription

/// One libFuzzer target per parser: (executable name, dependencies on the Adaptest package).
let targets: [(name: String, products: [String])] = [
  ("FuzzSafeTensorsHeader", ["SafeTensors", "TensorIO"]),
  ("FuzzSafeTensorsFile", ["SafeTensors", "TensorIO"]),
  ("FuzzHDF5", ["HDF5Checkpoint", "TensorIO"]),
  ("FuzzAdapterConfig", ["AdapterLoading", "TensorIO"]),
  ("FuzzModelConfig", ["AdapterLoading", "TensorIO"]),
  ("FuzzShardIndex", ["TensorIO"]),
  ("FuzzCorpusCase", ["Conformance"]),
  ("FuzzExpectations", ["Conformance"]),
  ("FuzzDriverResponse", ["Conformance", "TensorIO"]),
  ("FuzzResults", ["Conformance"]),
  ("FuzzRegex", ["TensorIO"]),
]

let package = Package(
  name: "AdaptestFuzz",
  dependencies: [.package(name: "Adaptest", path: "..")],
  targets: targets.map { target in
    .executableTarget(
      name: target.name,
      dependencies: target.products.map { .product(name: $0, package: "Adaptest") } + ["FuzzSupport"],
      path: "Targets/\(target.name)",
      // The file defines LLVMFuzzerTestOneInput and no top-level code: libFuzzer provides `main`.
      swiftSettings: [.unsafeFlags(["-parse-as-library"])])
  } + [
    .target(name: "FuzzSupport", path: "Targets/FuzzSupport")
  ]
)
