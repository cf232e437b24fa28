// open_clip model configurations (a bare model_cfg or a whole open_clip_config.json) and the
// preprocessing settings beside them.
import CLIPModel
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = FuzzInput.data(start, count)
    if let configuration = try? CLIPConfiguration.openCLIP(json: data, source: "fuzz") {
        _ = try? CLIPLoader.openCLIPPreprocessing(data, imageSize: configuration.vision.imageSize, source: "fuzz")
    }
    return 0
}
