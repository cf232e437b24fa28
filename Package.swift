// swift-tools-version: 6.1
// swift-clip: CLIP (contrastive language-image pre-training) in native Swift.
//
// No unsafe compiler flags here, so that other packages can depend on this one. Our own release builds get their
// CPU target (`-Xswiftc -target-cpu …`) from the Makefile.
import PackageDescription

let linuxOnly = TargetDependencyCondition.when(platforms: [.linux])

let package = Package(
    name: "swift-clip",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "CLIPTensor", targets: ["CLIPTensor"]),
        .executable(name: "clip", targets: ["CLIPCommand"]),
        .executable(name: "clip-kernel-bench", targets: ["CLIPKernelBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // BLAS: OpenBLAS on Linux (Debian libopenblas-dev, pthread variant); Accelerate on macOS.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .target(
            name: "CLIPTensor",
            dependencies: [.target(name: "CBLAS", condition: linuxOnly)]),
        .target(
            name: "CLIPTestSupport",
            dependencies: ["CLIPTensor"]),
        .executableTarget(
            name: "CLIPCommand",
            dependencies: [
                "CLIPTensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "CLIPKernelBench",
            dependencies: ["CLIPTensor"],
            path: "Benchmarks/CLIPKernelBench"),
        .testTarget(
            name: "CLIPTensorTests",
            dependencies: ["CLIPTensor", "CLIPTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CLIPCommandTests",
            dependencies: ["CLIPCommand", "CLIPTensor"]),
    ]
)
