/// Built-in architectures under open_clip's names (values from open_clip's model configurations).
/// Each also exists with a `-quickgelu` suffix, which switches the activation to QuickGELU as the
/// OpenAI weights need.
public enum CLIPPresets {
    private static func vit(_ embed: Int, image: Int = 224, patch: Int, width: Int, layers: Int, headWidth: Int = 64,
                            mlpRatio: Double = 4, text: TextConfiguration) -> CLIPConfiguration {
        CLIPConfiguration(embedDim: embed,
                          vision: VisionConfiguration(imageSize: image, layers: [layers], width: width, headWidth: headWidth,
                                                      mlpRatio: mlpRatio, patchSize: patch),
                          text: text)
    }

    private static func resnet(_ embed: Int, image: Int, layers: [Int], width: Int, text: TextConfiguration) -> CLIPConfiguration {
        CLIPConfiguration(embedDim: embed, vision: VisionConfiguration(imageSize: image, layers: layers, width: width, patchSize: nil),
                          text: text)
    }

    private static func text(_ width: Int, _ heads: Int, _ layers: Int = 12) -> TextConfiguration {
        TextConfiguration(width: width, heads: heads, layers: layers)
    }

    /// The base presets (GELU, as open_clip's defaults; RN models included).
    public static let base: [String: CLIPConfiguration] = [
        "RN50": resnet(1024, image: 224, layers: [3, 4, 6, 3], width: 64, text: text(512, 8)),
        "RN101": resnet(512, image: 224, layers: [3, 4, 23, 3], width: 64, text: text(512, 8)),
        "RN50x4": resnet(640, image: 288, layers: [4, 6, 10, 6], width: 80, text: text(640, 10)),
        "RN50x16": resnet(768, image: 384, layers: [6, 8, 18, 8], width: 96, text: text(768, 12)),
        "RN50x64": resnet(1024, image: 448, layers: [3, 15, 36, 10], width: 128, text: text(1024, 16)),
        "ViT-B-32": vit(512, patch: 32, width: 768, layers: 12, text: text(512, 8)),
        "ViT-B-16": vit(512, patch: 16, width: 768, layers: 12, text: text(512, 8)),
        "ViT-L-14": vit(768, patch: 14, width: 1024, layers: 24, text: text(768, 12)),
        "ViT-L-14-336": vit(768, image: 336, patch: 14, width: 1024, layers: 24, text: text(768, 12)),
        "ViT-H-14": vit(1024, patch: 14, width: 1280, layers: 32, headWidth: 80, text: text(1024, 16, 24)),
        "ViT-g-14": vit(1024, patch: 14, width: 1408, layers: 40, headWidth: 88, mlpRatio: 4.3637, text: text(1024, 16, 24)),
        "ViT-bigG-14": vit(1280, patch: 14, width: 1664, layers: 48, headWidth: 104, mlpRatio: 4.9231, text: text(1280, 20, 32)),
    ]

    /// Every preset name, the `-quickgelu` variants included, sorted.
    public static var names: [String] {
        (base.keys + base.keys.map { $0 + "-quickgelu" }).sorted()
    }

    /// The configuration named `name`.
    public static func configuration(named name: String) throws -> CLIPConfiguration {
        let quick = name.hasSuffix("-quickgelu")
        let baseName = quick ? String(name.dropLast("-quickgelu".count)) : name
        guard var configuration = base[baseName] else { throw ModelError.unknownArchitecture(name, known: names) }
        configuration.quickGELU = quick
        return configuration
    }
}
