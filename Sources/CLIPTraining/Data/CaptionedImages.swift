import CLIPFileSystem
import CLIPImage
import CLIPTokenizer
import Foundation

/// Image–caption pairs to train on: from a TSV/CSV in open_clip's convention or from a folder of
/// images with `.txt` captions beside them.
public struct CaptionedImages: Sendable {
    /// One image and its caption.
    public struct Sample: Sendable, Equatable {
        /// The image file, or the tar shard that holds it.
        public let imagePath: String
        /// The caption.
        public let caption: String
        /// For a shard member: its bytes within the shard, and its name.
        public let byteRange: Range<Int>?
        /// For a shard member: its name.
        public let member: String?

        /// A sample; a shard member gives its shard as `imagePath` with its `byteRange` and `member` name.
        public init(imagePath: String, caption: String, byteRange: Range<Int>? = nil, member: String? = nil) {
            self.imagePath = imagePath
            self.caption = caption
            self.byteRange = byteRange
            self.member = member
        }

        /// The image's bytes.
        public func imageData() throws -> Data {
            guard let byteRange else {
                do { return try UserFile.read(imagePath) } catch { throw TrainingError.invalidData(source: imagePath, reason: error.reason) }
            }
            let url = URL(fileURLWithPath: imagePath)
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(byteRange.lowerBound))
            return try handle.read(upToCount: byteRange.count) ?? Data()
        }

        /// A name for messages: the path, or `shard.tar:member`.
        public var name: String { member.map { "\(imagePath):\($0)" } ?? imagePath }
    }

    /// The table, folder or shard pattern the samples came from.
    public let source: String
    /// Every sample, in the source's order.
    public let samples: [Sample]

    /// Samples read from `source`.
    public init(source: String, samples: [Sample]) {
        self.source = source
        self.samples = samples
    }

    /// A table (`filepath` and `title` columns by default; paths relative to the table), a folder, or
    /// webdataset `.tar` shards (a path or a brace pattern such as `shards-{000..009}.tar`).
    public static func open(_ path: String, imageColumn: String = "filepath", captionColumn: String = "title",
                            separator: Character? = nil) throws -> CaptionedImages {
        if path.lowercased().hasSuffix(".tar") {
            return CaptionedImages(source: path, samples: try WebDatasetShards.samples(path))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TrainingError.invalidData(source: path, reason: "no such file or folder")
        }
        if isDirectory.boolValue { return try folder(path) }
        return try table(path, imageColumn: imageColumn, captionColumn: captionColumn, separator: separator)
    }

    /// A TSV/CSV with an image column and a caption column, paths relative to the table.
    public static func table(_ path: String, imageColumn: String = "filepath", captionColumn: String = "title",
                             separator: Character? = nil) throws -> CaptionedImages {
        let table: DelimitedTable
        do { table = try DelimitedTable(path: path, separator: separator) } catch {
            throw TrainingError.invalidData(source: path, reason: FailureReason.of(error))
        }
        guard let image = table.columns.firstIndex(of: imageColumn), let caption = table.columns.firstIndex(of: captionColumn) else {
            throw TrainingError.invalidData(source: path, reason: "needs columns '\(imageColumn)' and '\(captionColumn)' (has \(table.columns.joined(separator: ", ")))")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let samples = table.rows.map { row -> Sample in
            let file = row.fields[image].trimmingCharacters(in: .whitespaces)
            return Sample(imagePath: file.hasPrefix("/") ? file : folder.appendingPathComponent(file).path, caption: row.fields[caption])
        }
        guard !samples.isEmpty else { throw TrainingError.invalidData(source: path, reason: "no rows") }
        return CaptionedImages(source: path, samples: samples)
    }

    /// Every image under `root` (recursively, sorted) that has a `.txt` file of the same stem beside it.
    public static func folder(_ root: String) throws -> CaptionedImages {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else {
            throw TrainingError.invalidData(source: root, reason: "cannot list the folder")
        }
        var images: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if !name.hasPrefix("."), ImageDecoder.fileExtensions.contains((name as NSString).pathExtension.lowercased()) {
                images.append(relative)
            }
        }
        let base = URL(fileURLWithPath: root)
        var samples: [Sample] = []
        for relative in images.sorted() {
            let image = base.appendingPathComponent(relative)
            let captionFile = image.deletingPathExtension().appendingPathExtension("txt")
            guard let data = FileManager.default.contents(atPath: captionFile.path) else { continue }
            let caption = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            samples.append(Sample(imagePath: image.path, caption: caption))
        }
        guard !samples.isEmpty else { throw TrainingError.invalidData(source: root, reason: "no image with a .txt caption beside it") }
        return CaptionedImages(source: root, samples: samples)
    }
}
