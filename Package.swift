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
        .library(name: "CLIPNN", targets: ["CLIPNN"]),
        .library(name: "CLIPTokenizer", targets: ["CLIPTokenizer"]),
        .library(name: "CLIPImage", targets: ["CLIPImage"]),
        .library(name: "CLIPModel", targets: ["CLIPModel"]),
        .library(name: "CLIPHub", targets: ["CLIPHub"]),
        .library(name: "CLIPEvaluation", targets: ["CLIPEvaluation"]),
        .library(name: "CLIPOptim", targets: ["CLIPOptim"]),
        .library(name: "CLIPTraining", targets: ["CLIPTraining"]),
        .library(name: "CLIPSearch", targets: ["CLIPSearch"]),
        .library(name: "CLIPServer", targets: ["CLIPServer"]),
        .executable(name: "clip", targets: ["CLIPCommand"]),
        .executable(name: "clip-kernel-bench", targets: ["CLIPKernelBench"]),
        .executable(name: "clip-search-bench", targets: ["CLIPSearchBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // BLAS: OpenBLAS on Linux (Debian libopenblas-dev, pthread variant); Accelerate on macOS.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        // oneDNN (Debian libdnnl-dev): a faster sgemm than OpenBLAS for most of CLIP's shapes.
        .systemLibrary(
            name: "CDNNL",
            providers: [.apt(["libdnnl-dev"])]),
        // Checks on user-named paths (FIFOs, devices) and readable reasons for Foundation's file and JSON
        // errors, shared by every module that opens files.
        .target(
            name: "CLIPFileSystem"),
        // AVX-512 kernels for products with few rows, selected at run time (no compiler flags needed).
        .target(
            name: "CGEMMKernels"),
        .target(
            name: "CLIPTensor",
            dependencies: [
                "CLIPFileSystem",
                "CGEMMKernels",
                "CZlib",
                .target(name: "CBLAS", condition: linuxOnly),
                .target(name: "CDNNL", condition: linuxOnly),
            ]),
        .target(
            name: "CLIPNN",
            dependencies: ["CLIPTensor"]),
        // zlib, for the gzip-compressed BPE vocabulary.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "CLIPTokenizer",
            dependencies: ["CZlib", "CLIPFileSystem"],
            resources: [.copy("Resources/bpe_simple_vocab_16e6.txt.gz"), .copy("Resources/ftfy_tables.json")]),
        // libjpeg-turbo, libpng, libwebp and libheif. A C target rather than a system-library module because
        // libpng reports errors with longjmp, which only C can catch (png_reader.c).
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("turbojpeg"), .linkedLibrary("png16"), .linkedLibrary("webp"), .linkedLibrary("webpdemux"),
                             .linkedLibrary("heif")]),
        .target(
            name: "CLIPImage",
            dependencies: ["CImageCodecs", "CLIPFileSystem"]),
        .target(
            name: "CLIPModel",
            dependencies: ["CLIPTensor", "CLIPNN", "CLIPTokenizer", "CLIPImage", "CLIPFileSystem", "CLIPDigest"]),
        // libcrypto (OpenSSL) for SHA-256 / SHA-1 of downloaded files; CryptoKit on macOS.
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .target(
            name: "CLIPDigest",
            dependencies: [.target(name: "CCrypto", condition: linuxOnly)]),
        .target(
            name: "CLIPHub",
            dependencies: [
                "CLIPTensor",
                "CLIPDigest",
                "CLIPFileSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .target(
            name: "CLIPOptim",
            dependencies: ["CLIPTensor", "CLIPNN"]),
        // Open MPI (Debian libopenmpi-dev, openmpi-bin) for data-parallel training across processes and machines;
        // its shim.h wraps the calls whose handles are C macros in inline functions.
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]),
        .target(
            name: "CLIPTraining",
            dependencies: ["CLIPTensor", "CLIPNN", "CLIPTokenizer", "CLIPImage", "CLIPModel", "CLIPOptim", "CLIPFileSystem",
                           .target(name: "CMPI", condition: linuxOnly)]),
        .target(
            name: "CLIPEvaluation",
            dependencies: ["CLIPTensor", "CLIPNN", "CLIPOptim", "CLIPTokenizer", "CLIPImage", "CLIPModel", "CLIPDigest", "CLIPFileSystem"]),
        // Indexes of image collections: the embedded store (the SQLite catalogue through GRDB, system SQLite:
        // libsqlite3-dev, vector files, exact and HNSW search with swift-collections' heaps and our SIMD dot
        // products) and the PostgreSQL + pgvector store (postgres-nio on its own NIO event loop); query
        // arithmetic, near-duplicates.
        .target(
            name: "CLIPSearch",
            dependencies: ["CLIPTensor", "CLIPImage", "CLIPModel", "CLIPDigest", "CLIPFileSystem", "CGEMMKernels", "CZlib",
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "HeapModule", package: "swift-collections"),
                           .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")]),
        // `clip serve`: Hummingbird routes (OpenAI embeddings, zero-shot, search, clip-retrieval's back end), request
        // batching, Prometheus metrics, and the web page as resources.
        .target(
            name: "CLIPServer",
            dependencies: ["CLIPTensor", "CLIPTokenizer", "CLIPImage", "CLIPModel", "CLIPSearch",
                           .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "Prometheus", package: "swift-prometheus")],
            resources: [.copy("Resources/page"), .copy("Resources/openapi.json")]),
        .target(
            name: "CLIPTestSupport",
            dependencies: ["CLIPTensor", "CLIPDigest"]),
        .executableTarget(
            name: "CLIPCommand",
            dependencies: [
                "CLIPTensor",
                "CLIPTokenizer",
                "CLIPImage",
                "CLIPModel",
                "CLIPHub",
                "CLIPEvaluation",
                "CLIPTraining",
                "CLIPSearch",
                "CLIPServer",
                "CLIPFileSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "CLIPKernelBench",
            dependencies: ["CLIPTensor", "CLIPTokenizer", "CLIPImage"],
            path: "Benchmarks/CLIPKernelBench"),
        .executableTarget(
            name: "CLIPSearchBench",
            dependencies: ["CLIPSearch", "CLIPModel", "CLIPTensor"],
            path: "Benchmarks/CLIPSearchBench"),
        .testTarget(
            name: "CLIPSearchTests",
            dependencies: ["CLIPSearch", "CLIPModel", "CLIPImage", "CLIPFileSystem", "CLIPTensor", "CLIPTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CLIPServerTests",
            dependencies: ["CLIPServer", "CLIPModel", "CLIPSearch", "CLIPImage", "CLIPTensor", "CLIPTestSupport",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .testTarget(
            name: "CLIPFileSystemTests",
            dependencies: ["CLIPFileSystem", "CLIPTestSupport"]),
        .testTarget(
            name: "CLIPTensorTests",
            dependencies: ["CLIPTensor", "CLIPTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CLIPTokenizerTests",
            dependencies: ["CLIPTokenizer", "CLIPTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CLIPImageTests",
            dependencies: ["CLIPImage", "CLIPTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CLIPModelTests",
            dependencies: ["CLIPModel", "CLIPNN", "CLIPTensor", "CLIPTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CLIPTrainingTests",
            dependencies: ["CLIPTraining", "CLIPEvaluation", "CLIPImage", "CLIPModel", "CLIPNN", "CLIPOptim", "CLIPTensor",
                           "CLIPTokenizer", "CLIPTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CLIPEvaluationTests",
            dependencies: ["CLIPEvaluation", "CLIPModel", "CLIPTensor", "CLIPTokenizer", "CLIPTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CLIPHubTests",
            dependencies: ["CLIPHub", "CLIPModel", "CLIPTensor", "CLIPTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CLIPNNTests",
            dependencies: ["CLIPNN", "CLIPTensor", "CLIPTestSupport"]),
        .testTarget(
            name: "CLIPOptimTests",
            dependencies: ["CLIPOptim", "CLIPNN", "CLIPTensor", "CLIPTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CLIPCommandTests",
            dependencies: ["CLIPCommand", "CLIPModel", "CLIPTensor", "CLIPHub", "CLIPEvaluation", "CLIPImage", "CLIPSearch", "CLIPTestSupport", "CLIPTraining",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio")]),
    ]
)
