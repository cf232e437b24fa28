import CLIPModel
import CLIPTestSupport
import Foundation
import Testing

@Suite("Paths that are not files")
struct SpecialFileTests {
    @Test("a FIFO given as a model or an image is refused at once, named as a FIFO (reading it blocked forever)")
    func fifo() throws {
        let path = temporaryPath("model-fifo.safetensors").path
        try #require(mkfifo(path, 0o600) == 0)
        #expect(throws: ModelError.unrecognizedModel(path: path, reason: "a FIFO, not a model file or directory")) {
            _ = try CLIPLoader.load(path: path)
        }
        let loaded = try CLIPLoader.load(path: ReferenceData.fixturesDirectory().appendingPathComponent("vit_quickgelu/open_clip").path)
        let result = try ImageFeatureExtractor(loaded: loaded).extract([path])
        #expect(result.failures == [ImageFailure(path: path, reason: "a FIFO, not a regular file")])
    }
}
