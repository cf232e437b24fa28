// Text input: UTF-8 validation, ftfy cleaning and BPE with the bundled vocabulary.
import CLIPTokenizer
import FuzzSupport

nonisolated(unsafe) let tokenizer = try! CLIPTokenizer()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let text = try? TextInput.decodeUTF8(FuzzInput.data(start, count), source: "fuzz") else { return 0 }
    for line in TextInput.lines(of: text) { _ = tokenizer.tokenize(line) }
    return 0
}
