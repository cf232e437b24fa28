// JPEG, PNG and WebP decoding, then the inference preprocessing, of arbitrary bytes.
import CLIPImage
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let decoder = ImageDecoder(maximumPixels: 4_000_000)
    guard let image = try? decoder.decode(FuzzInput.data(start, count), source: "fuzz") else { return 0 }
    _ = ImagePreprocessor(size: 32)(image)
    return 0
}
