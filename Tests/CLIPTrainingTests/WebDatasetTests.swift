import CLIPImage
import CLIPModel
import CLIPTensor
import CLIPTokenizer
import CLIPTraining
import CLIPTestSupport
import Foundation
import Testing

@Suite("webdataset shards")
struct WebDatasetTests {
    @Test("brace patterns expand as webdataset's do")
    func braces() throws {
        #expect(try WebDatasetShards.expandBraces("s-{000..002}.tar") == ["s-000.tar", "s-001.tar", "s-002.tar"])
        #expect(try WebDatasetShards.expandBraces("{a,b}/x-{8..10}.tar") == ["a/x-08.tar", "a/x-09.tar", "a/x-10.tar", "b/x-08.tar", "b/x-09.tar", "b/x-10.tar"])
        #expect(try WebDatasetShards.expandBraces("plain.tar") == ["plain.tar"])
        #expect(throws: TrainingError.self) { _ = try WebDatasetShards.expandBraces("bad-{1..3.tar") }
    }

    @Test("tar shards (made by tar itself) give image–caption samples from txt and json members, which decode and batch")
    func shards() throws {
        let root = temporaryPath("clip-wds")
        try? FileManager.default.removeItem(at: root)
        for shard in 0..<2 {
            let folder = root.appendingPathComponent("src\(shard)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var members: [String] = []
            for index in 0..<3 {
                let key = "sample\(shard)\(index)"
                let item = SyntheticShapes.item(shard * 3 + index, seed: 5, size: 32)
                try item.image.jpegData().write(to: folder.appendingPathComponent("\(key).jpg"))
                if index == 2 {
                    try Data(#"{"caption": "\#(item.caption)", "width": 32}"#.utf8).write(to: folder.appendingPathComponent("\(key).json"))
                    members += ["\(key).jpg", "\(key).json"]
                } else {
                    try Data(item.caption.utf8).write(to: folder.appendingPathComponent("\(key).txt"))
                    members += ["\(key).jpg", "\(key).txt"]
                }
            }
            try Data("an orphan caption".utf8).write(to: folder.appendingPathComponent("orphan.txt"))
            members.append("orphan.txt")
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            tar.arguments = ["tar", "-cf", root.appendingPathComponent("shard-\(String(format: "%03d", shard)).tar").path, "-C", folder.path] + members
            try tar.run()
            tar.waitUntilExit()
            #expect(tar.terminationStatus == 0)
        }
        let data = try CaptionedImages.open(root.appendingPathComponent("shard-{000..001}.tar").path)
        #expect(data.samples.count == 6)
        #expect(data.samples.map(\.caption) == (0..<6).map { SyntheticShapes.item($0, seed: 5, size: 32).caption })
        #expect(data.samples[2].member == "sample02.jpg")
        let decoded = try ImageDecoder().decode(try data.samples[4].imageData(), source: data.samples[4].name)
        #expect(decoded.width == 32 && decoded.height == 32)
        var options = TrainingOptions(batchSize: 3)
        options.seed = 1
        let batches = try TrainingBatches(data: data, options: options, preprocessor: ImagePreprocessor(size: 32),
                                          tokenizer: try CLIPTokenizer(contextLength: 16))
        let (batch, next) = try batches.batch(epoch: 0, startingAt: 0, order: batches.order(epoch: 0))
        #expect(batch.images.shape == [3, 3, 32, 32] && batch.tokens.count == 3 && batch.skipped.isEmpty && next == 3)
        // A truncated shard is refused with the member it broke in.
        let full = try Data(contentsOf: root.appendingPathComponent("shard-000.tar"))
        let cut = root.appendingPathComponent("cut.tar")
        try full.prefix(1800).write(to: cut)
        #expect(throws: TrainingError.self) { _ = try CaptionedImages.open(cut.path) }
    }
}

@Suite("Fuzz regressions: webdataset shards")
struct WebDatasetFuzzRegressionTests {
    @Test("member names that trapped NSString's path functions, then a negative size (a trap on an invalid range): a damaged header")
    func negativeMemberSize() throws {
        let path = temporaryPath("fuzz-negative-size.tar").path
        #expect(FileManager.default.createFile(atPath: path, contents: try ReferenceData.fuzzRegression("FuzzWebDataset", "crash-f49ae4d29cda614885b239d482ad1fcd7c57e285")))
        #expect(throws: TrainingError.invalidData(source: path, reason: "damaged tar header at byte 2048")) {
            _ = try WebDatasetShards.samples(path)
        }
    }
}
