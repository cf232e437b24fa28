// PyTorch checkpoints: the zip reader, the legacy format and the unpickler; then every tensor.
import CLIPTensor
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = FuzzInput.file(FuzzInput.data(start, count), named: "pytorch_model.bin")
    guard let checkpoint = try? TorchCheckpoint(path: path) else { return 0 }
    for name in checkpoint.names { _ = try? checkpoint.tensor(name) }
    return 0
}
