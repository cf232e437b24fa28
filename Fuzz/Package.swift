// swift-tools-version: 6.1
// libFuzzer targets for every parser of untrusted bytes. Built apart from the main package, with the
// fuzzer and address sanitizers (`make fuzz`), because each target's entry point is libFuzzer's
// `LLVMFuzzerTestOneInput`, not a `main`.
import PackageDescription

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: "swift-clip") })
}

let package = Package(
    name: "swift-clip-fuzz",
    dependencies: [
        .package(name: "swift-clip", path: ".."),
    ],
    targets: [
        .target(name: "FuzzSupport"),
        fuzzTarget("FuzzImageDecoder", ["CLIPImage"]),
        fuzzTarget("FuzzSafeTensors", ["CLIPTensor"]),
        fuzzTarget("FuzzTorchCheckpoint", ["CLIPTensor"]),
        fuzzTarget("FuzzModelConfiguration", ["CLIPModel"]),
        fuzzTarget("FuzzModelLoading", ["CLIPModel", "CLIPTensor"]),
        fuzzTarget("FuzzTokenizer", ["CLIPTokenizer"]),
        fuzzTarget("FuzzVocabulary", ["CLIPTokenizer"]),
        fuzzTarget("FuzzTable", ["CLIPTokenizer"]),
        fuzzTarget("FuzzTokenizerFile", ["CLIPTokenizer"]),
        fuzzTarget("FuzzWebDataset", ["CLIPTraining"]),
        fuzzTarget("FuzzVectorFile", ["CLIPSearch"]),
        fuzzTarget("FuzzIndexCatalogue", ["CLIPSearch"]),
        fuzzTarget("FuzzHNSWGraph", ["CLIPSearch"]),
        fuzzTarget("FuzzPostgresValues", ["CLIPSearch"]),
        fuzzTarget("FuzzRequestDecoding", ["CLIPServer", "CLIPImage"]),
    ]
)
