// safetensors headers and data offsets: open, then read every tensor.
import CLIPTensor
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = FuzzInput.file(FuzzInput.data(start, count), named: "model.safetensors")
    guard let file = try? SafeTensorsFile(path: path) else { return 0 }
    for name in file.names { _ = try? file.tensor(name) }
    return 0
}
