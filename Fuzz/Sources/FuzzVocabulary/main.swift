// Vocabulary files: a BPE merges file, or a Hugging Face vocab.json, merges.txt and
// tokenizer_config.json (split at NUL lines), then a tokenizer over it.
import CLIPTokenizer
import FuzzSupport
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = FuzzInput.data(start, count)
    let vocabulary: BPEVocabulary?
    if data.first == UInt8(ascii: "{") {
        let (vocab, rest) = FuzzInput.split(data, at: [0x0A, 0x00, 0x0A])
        let (merges, configuration) = FuzzInput.split(rest, at: [0x0A, 0x00, 0x0A])
        let folder = FuzzInput.folder()
        FileManager.default.createFile(atPath: folder.appendingPathComponent("vocab.json").path, contents: vocab)
        FileManager.default.createFile(atPath: folder.appendingPathComponent("merges.txt").path, contents: merges)
        let configurationPath = folder.appendingPathComponent("tokenizer_config.json").path
        if configuration.isEmpty {
            try? FileManager.default.removeItem(atPath: configurationPath)
        } else {
            FileManager.default.createFile(atPath: configurationPath, contents: configuration)
        }
        vocabulary = try? BPEVocabulary.huggingFace(directory: folder.path)
    } else {
        vocabulary = try? BPEVocabulary.bpeFile(path: FuzzInput.file(data, named: "merges.txt"))
    }
    if let vocabulary, let tokenizer = try? CLIPTokenizer(vocabulary: vocabulary, contextLength: 16) {
        _ = tokenizer.tokenize("a photo of a cat 123 ünïcödé 🙂")
    }
    return 0
}
