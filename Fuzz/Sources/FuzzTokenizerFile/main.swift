// Tokenizer definitions: a Hugging Face tokenizer.json (input starting with "{") or a SentencePiece
// .model (anything else), then the tokenizer over a multilingual text.
import CLIPTokenizer
import FuzzSupport
import Foundation

let sample = "A photo of a dog, 一只猫 🐱 ﬁne café  <mask> [CLS] x\u{301}\t\u{1}end"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = FuzzInput.data(start, count)
    if data.first == UInt8(ascii: "{") {
        if let tokenizer = try? HuggingFaceTokenizer(data: data, source: "tokenizer.json") {
            _ = try? tokenizer.encode(sample)
            _ = try? tokenizer.encode(sample, length: 8)
        }
    } else if let tokenizer = try? SentencePieceTokenizer(data: data, source: "spiece.model") {
        _ = try? tokenizer.encode(sample)
    }
    return 0
}
