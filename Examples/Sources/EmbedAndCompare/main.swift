// Loads a model by reference, embeds an image and two texts, and prints their similarities.
//
//     swift run --package-path Examples EmbedAndCompare ViT-B-32:openai photo.jpg
import CLIPHub
import CLIPModel
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: EmbedAndCompare MODEL IMAGE\n".utf8))
    exit(64)
}
do {
    // A directory, a weights file, a Hub repository (owner/name) or an open_clip tag (ViT-B-32:openai).
    let model = try ModelResolver(configuration: .current).resolve(arguments[1])
    let loaded = try CLIPLoader.load(path: model.path, quickGELU: model.quickGELU)

    let texts = ["a photo of a cat", "a photo of a dog"]
    let image = try loaded.imageFeatures([arguments[2]], normalize: true)[0]
    let captions = try loaded.textFeatures(texts, normalize: true)
    for (text, caption) in zip(texts, captions) {
        let cosine = zip(image, caption).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        print(String(format: "%.4f  %@", cosine, text))
    }
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
