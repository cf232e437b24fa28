// swift-tools-version: 6.1
// A package of its own that uses swift-clip as a dependency, as another project would.
import PackageDescription

let package = Package(
    name: "swift-clip-examples",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "swift-clip", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "EmbedAndCompare",
            dependencies: [
                .product(name: "CLIPModel", package: "swift-clip"),
                .product(name: "CLIPHub", package: "swift-clip"),
            ]),
    ]
)
