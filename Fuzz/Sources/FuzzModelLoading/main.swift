// A model directory as a user hands it over: a Hugging Face config.json or open_clip config (the
// first part of the input, up to a NUL line) beside a safetensors file (the rest). Covers layout
// detection, configuration parsing, architecture inference from shapes and strict loading.
import CLIPModel
import FuzzSupport
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let (config, weights) = FuzzInput.split(FuzzInput.data(start, count), at: [0x0A, 0x00, 0x0A])
    let folder = FuzzInput.folder()
    let layout = config.first == UInt8(ascii: "h")
    let configName = layout ? "config.json" : "open_clip_config.json"
    let weightsName = layout ? "model.safetensors" : "open_clip_model.safetensors"
    FileManager.default.createFile(atPath: folder.appendingPathComponent(configName).path, contents: config.dropFirst(layout ? 1 : 0))
    FileManager.default.createFile(atPath: folder.appendingPathComponent(weightsName).path, contents: weights)
    _ = try? CLIPLoader.load(path: folder.path)
    // The same weights alone: the architecture is inferred from the shapes.
    _ = try? CLIPLoader.load(path: folder.appendingPathComponent(weightsName).path)
    return 0
}
