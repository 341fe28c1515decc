// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "adapterpack",
    products: [
        .library(name: "AdapterFormat", targets: ["AdapterFormat"]),
        .library(name: "AdapterLoader", targets: ["AdapterLoader"]),
        .library(name: "CAdapterLoader", targets: ["CAdapterLoader"]),
        .library(name: "AdapterPack", targets: ["AdapterPack"]),
        .executable(name: "adapterpack", targets: ["adapterpack"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Device code: standard library only, builds with Embedded Swift.
        .target(name: "AdapterFormat"),
        .target(name: "AdapterLoader", dependencies: ["AdapterFormat", "CAdapterLoader"]),
        // adapter_loader.h: the C API's types (implemented in AdapterLoader/CAPI.swift).
        .target(name: "CAdapterLoader"),
        // Host system libraries.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", providers: [.apt(["libssl-dev"])]),
        // Host library: readers, planner, encoders, signing, inspection, reports.
        .target(name: "AdapterPack", dependencies: ["AdapterFormat", "AdapterLoader", "CZlib", "COpenSSL"]),
        .executableTarget(name: "adapterpack-bench", dependencies: ["AdapterPack"], path: "Benchmarks/Sources"),
        .executableTarget(name: "adapterpack-lora-bench", dependencies: ["AdapterPack"], path: "Benchmarks/LoRA"),
        .executableTarget(name: "adapterpack-tuf-bench", dependencies: ["AdapterPack"], path: "Benchmarks/TUF"),
        .executableTarget(name: "adapterpack", dependencies: [
            "AdapterPack",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Shared test helpers: a deterministic generator, and the paths of the
        // committed models (one copy each, read in place; no test bundle resources).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Format rules on hand-made bytes: the device format module alone, no host encoders.
        .testTarget(name: "AdapterFormatTests", dependencies: ["AdapterFormat", "TestSupport"]),
        .testTarget(name: "AdapterLoaderTests", dependencies: ["AdapterLoader", "AdapterFormat", "AdapterPack", "TestSupport"]),
        // Fixtures/: the TFLM models (read through TestSupport's RepoPaths).
        .testTarget(name: "AdapterPackTests", dependencies: ["AdapterPack", "AdapterFormat", "AdapterLoader", "TestSupport"],
                    exclude: ["Fixtures"]),
        // The fuzz targets' checks over the inputs fuzzing found (Tests/Fuzz/run.sh runs the campaigns).
        .testTarget(name: "FuzzRegressionTests", dependencies: ["AdapterFormat", "AdapterLoader", "AdapterPack", "TestSupport"],
                    path: "Tests/Fuzz", exclude: ["Targets", "regressions", "seeds", "run.sh"]),
        // Runs the built `adapterpack` binary end to end (and `openssl`, python3 for interop).
        .testTarget(name: "CLITests", dependencies: ["adapterpack", "AdapterPack", "TestSupport"]),
    ]
)
