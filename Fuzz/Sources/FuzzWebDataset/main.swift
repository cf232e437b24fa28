// webdataset shards: tar headers, member grouping and captions.
import CLIPTraining
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = FuzzInput.file(FuzzInput.data(start, count), named: "shard.tar")
    if let samples = try? WebDatasetShards.samples(path) {
        for sample in samples.prefix(4) { _ = try? sample.imageData() }
    }
    return 0
}
