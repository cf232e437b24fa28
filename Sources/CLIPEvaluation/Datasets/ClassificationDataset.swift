import CLIPFileSystem
import CLIPImage
import CLIPTokenizer
import Foundation

/// Images with class labels: an ImageFolder tree (one sub-folder per class, as torchvision's
/// `ImageFolder`), or a TSV/CSV with `filepath` and `label` columns.
public struct ClassificationDataset: Sendable {
    /// One labelled image.
    public struct Sample: Sendable, Equatable {
        /// The image file.
        public let path: String
        /// The index of its class in `classNames`.
        public let label: Int

        /// A sample of class `label` stored at `path`.
        public init(path: String, label: Int) {
            self.path = path
            self.label = label
        }
    }

    /// Where it was read from.
    public let source: String
    /// The class names, in label order; prompts are made from them.
    public let classNames: [String]
    /// Every labelled image, in the dataset's order.
    public let samples: [Sample]

    /// A dataset read from `source` (a folder or a table, named in reports).
    public init(source: String, classNames: [String], samples: [Sample]) {
        self.source = source
        self.classNames = classNames
        self.samples = samples
    }

    /// A folder tree or a table, by what `path` is. `classNames` (for example from
    /// `readClassNames`) names the classes: a table's labels may then be names or indices into it, and
    /// an ImageFolder's sorted sub-folders take its names in order.
    public static func open(_ path: String, classNames: [String]? = nil, pathColumn: String = "filepath",
                            labelColumn: String = "label") throws -> ClassificationDataset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EvaluationError.unreadableDataset(path: path, reason: "no such file or folder")
        }
        if isDirectory.boolValue {
            let folder = try imageFolder(path)
            guard let classNames else { return folder }
            guard classNames.count == folder.classNames.count else {
                throw EvaluationError.unreadableDataset(path: path, reason: "\(classNames.count) class names given for \(folder.classNames.count) class folders")
            }
            return ClassificationDataset(source: path, classNames: classNames, samples: folder.samples)
        }
        return try table(path, classNames: classNames, pathColumn: pathColumn, labelColumn: labelColumn)
    }

    /// Classes are the sub-folders, sorted; samples the image files in each, sorted, hidden ones skipped.
    public static func imageFolder(_ root: String) throws -> ClassificationDataset {
        let manager = FileManager.default
        let base = URL(fileURLWithPath: root)
        let folders: [String]
        do {
            folders = try manager.contentsOfDirectory(atPath: root).filter { name in
                var isDirectory: ObjCBool = false
                return !name.hasPrefix(".") && manager.fileExists(atPath: base.appendingPathComponent(name).path, isDirectory: &isDirectory)
                    && isDirectory.boolValue
            }.sorted()
        } catch {
            throw EvaluationError.unreadableDataset(path: root, reason: FailureReason.of(error))
        }
        guard !folders.isEmpty else { throw EvaluationError.emptyDataset(path: root, reason: "no class sub-folders") }
        var samples: [Sample] = []
        for (label, folder) in folders.enumerated() {
            let directory = base.appendingPathComponent(folder)
            guard let enumerator = manager.enumerator(atPath: directory.path) else { continue }
            var files: [String] = []
            while let relative = enumerator.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                if name.hasPrefix(".") { continue }
                if ImageDecoder.fileExtensions.contains((name as NSString).pathExtension.lowercased()) { files.append(relative) }
            }
            samples += files.sorted().map { Sample(path: directory.appendingPathComponent($0).path, label: label) }
        }
        guard !samples.isEmpty else { throw EvaluationError.emptyDataset(path: root, reason: "no images in the class folders") }
        return ClassificationDataset(source: root, classNames: folders, samples: samples)
    }

    /// A table with a path column and a label column. Labels are class names, or integer indices
    /// into the class list. The class list is `classNames` or, without it, the label column's values:
    /// sorted numerically when every label is an integer, else by name.
    public static func table(_ path: String, classNames givenNames: [String]?, pathColumn: String = "filepath",
                             labelColumn: String = "label") throws -> ClassificationDataset {
        let table = try DelimitedTable(path: path)
        let pathIndex = try table.column(pathColumn), labelIndex = try table.column(labelColumn)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let rawLabels = table.rows.map { $0.fields[labelIndex].trimmingCharacters(in: .whitespaces) }
        var classNames: [String]
        if let givenNames {
            classNames = givenNames
        } else if rawLabels.allSatisfy({ Int($0) != nil }) {
            classNames = Set(rawLabels.compactMap { Int($0) }).sorted().map(String.init)
        } else {
            classNames = Set(rawLabels).sorted()
        }
        let indexOfName = Dictionary(classNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var samples: [Sample] = []
        for (row, label) in zip(table.rows, rawLabels) {
            let file = row.fields[pathIndex].trimmingCharacters(in: .whitespaces)
            guard !file.isEmpty else { throw TableError.malformed(path: path, line: row.line, reason: "empty \(pathColumn)") }
            let resolved = file.hasPrefix("/") ? file : folder.appendingPathComponent(file).path
            if let index = indexOfName[label] {
                samples.append(Sample(path: resolved, label: index))
            } else if givenNames != nil, let number = Int(label), classNames.indices.contains(number) {
                samples.append(Sample(path: resolved, label: number))
            } else {
                throw EvaluationError.unknownLabel(path: path, line: row.line, label: label)
            }
        }
        guard !samples.isEmpty else { throw EvaluationError.emptyDataset(path: path, reason: "no rows") }
        return ClassificationDataset(source: path, classNames: classNames, samples: samples)
    }

    /// One class name per line (blank lines skipped), or a JSON list of names.
    public static func readClassNames(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvaluationError.unreadableDataset(path: path, reason: "cannot read the class list")
        }
        let text: String
        do { text = try TextInput.decodeUTF8(data, source: path) } catch {
            throw EvaluationError.unreadableDataset(path: path, reason: FailureReason.of(error))
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("["),
           let list = try? JSONSerialization.jsonObject(with: data) as? [String] {
            return list
        }
        let names = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw EvaluationError.emptyDataset(path: path, reason: "no class names") }
        return names
    }
}
