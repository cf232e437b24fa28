import CLIPTokenizer
import Foundation

/// Images and captions for retrieval: a TSV/CSV with `filepath` and `title` columns, several rows per
/// image allowed; images keep the order of their first row, captions the order of the rows.
public struct RetrievalDataset: Sendable {
    /// The table the dataset was read from.
    public let source: String
    /// Each distinct image file, in first-appearance order.
    public let imagePaths: [String]
    /// Every caption, in table order.
    public let captions: [String]
    /// The image each caption belongs to.
    public let imageOfCaption: [Int]

    /// A dataset whose caption `i` describes `imagePaths[imageOfCaption[i]]`.
    public init(source: String, imagePaths: [String], captions: [String], imageOfCaption: [Int]) {
        self.source = source
        self.imagePaths = imagePaths
        self.captions = captions
        self.imageOfCaption = imageOfCaption
    }

    /// A TSV/CSV with an image column and a caption column (paths relative to the table); rows of the same file share one image.
    public static func table(_ path: String, pathColumn: String = "filepath", captionColumn: String = "title") throws -> RetrievalDataset {
        let table = try DelimitedTable(path: path)
        let pathIndex = try table.column(pathColumn), captionIndex = try table.column(captionColumn)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        var images: [String] = [], indexOf: [String: Int] = [:]
        var captions: [String] = [], owners: [Int] = []
        for row in table.rows {
            let file = row.fields[pathIndex].trimmingCharacters(in: .whitespaces)
            guard !file.isEmpty else { throw TableError.malformed(path: path, line: row.line, reason: "empty \(pathColumn)") }
            let resolved = file.hasPrefix("/") ? file : folder.appendingPathComponent(file).path
            let index: Int
            if let known = indexOf[resolved] {
                index = known
            } else {
                index = images.count
                indexOf[resolved] = index
                images.append(resolved)
            }
            captions.append(row.fields[captionIndex])
            owners.append(index)
        }
        guard !images.isEmpty else { throw EvaluationError.emptyDataset(path: path, reason: "no rows") }
        return RetrievalDataset(source: path, imagePaths: images, captions: captions, imageOfCaption: owners)
    }
}
