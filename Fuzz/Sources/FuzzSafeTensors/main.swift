// safetensors headers and data offsets: open, then read every tensor, and every low-precision weight
// (BF16, I8 with its scales) with its deferred f32 values.
import CLIPTensor
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = FuzzInput.file(FuzzInput.data(start, count), named: "model.safetensors")
    guard let file = try? SafeTensorsFile(path: path) else { return 0 }
    for name in file.names {
        _ = try? file.tensor(name)
        if let stored = try? file.storedLowPrecisionWeight(name) { _ = stored.tensor.scalars }
    }
    return 0
}
