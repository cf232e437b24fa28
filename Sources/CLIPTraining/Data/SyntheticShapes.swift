import CLIPImage
import CLIPTensor
import Foundation

/// A generated image–caption set for demonstrations and smoke tests: coloured shapes (circle,
/// square, triangle, cross) in one of several colours, one to three of them, at a position, on a
/// lightly noisy background, each described by one of several caption phrasings. Deterministic for a
/// seed.
public enum SyntheticShapes {
    /// The shapes drawn.
    public static let shapes = ["circle", "square", "triangle", "cross"]
    /// The colours and their RGB values in [0, 1].
    public static let colours: [(name: String, rgb: (Double, Double, Double))] = [
        ("red", (220, 40, 40)), ("green", (40, 170, 60)), ("blue", (40, 80, 220)), ("yellow", (235, 210, 40)),
        ("purple", (140, 60, 180)), ("orange", (245, 140, 30)),
    ]
    /// Where the shapes sit, as the captions say it.
    public static let positions = ["on the left", "on the right", "at the top", "at the bottom", "in the middle"]
    static let countWords = ["one", "two", "three"]

    /// One generated image and what it shows.
    public struct Item: Sendable {
        /// The picture.
        public let image: RGBImage
        /// Its caption.
        public let caption: String
        /// The index of its shape in `shapes`.
        public let shape: Int
        /// The index of its colour in `colours`.
        public let colour: Int
        /// How many shapes it shows.
        public let count: Int
    }

    /// The `index`-th item of the set for `seed`, `size`×`size` pixels.
    public static func item(_ index: Int, seed: UInt64, size: Int = 48) -> Item {
        var generator = RandomGenerator(seed: TrainingBatches.mix(seed, UInt64(index), 0x5348_4150))
        func pick(_ count: Int) -> Int { Int(generator.next() % UInt64(count)) }
        let shape = pick(shapes.count), colour = pick(colours.count)
        let count = 1 + (pick(3) == 0 ? pick(3) : 0)
        let position = pick(positions.count)
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for i in 0..<(size * size) {
            let grey = 225 + Int(generator.next() % 21)
            pixels[i * 3] = UInt8(grey); pixels[i * 3 + 1] = UInt8(grey); pixels[i * 3 + 2] = UInt8(grey)
        }
        let radius = Double(size) * (count == 1 ? 0.2 : 0.14)
        let centres: [(Double, Double)]
        let s = Double(size)
        if count == 1 {
            let spots = [(0.28, 0.5), (0.72, 0.5), (0.5, 0.28), (0.5, 0.72), (0.5, 0.5)]
            centres = [(spots[position].0 * s, spots[position].1 * s)]
        } else {
            let layouts: [[(Double, Double)]] = [[(0.3, 0.5), (0.7, 0.5)], [(0.25, 0.3), (0.75, 0.3), (0.5, 0.75)]]
            centres = layouts[count - 2].map { ($0.0 * s, $0.1 * s) }
        }
        let (r, g, b) = colours[colour].rgb
        for (cx, cy) in centres {
            for y in 0..<size {
                for x in 0..<size {
                    let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
                    let inside: Bool
                    switch shape {
                    case 0: inside = dx * dx + dy * dy <= radius * radius
                    case 1: inside = abs(dx) <= radius * 0.85 && abs(dy) <= radius * 0.85
                    case 2: inside = dy <= radius * 0.8 && dy >= -radius && abs(dx) <= (dy + radius) * 0.6
                    default: inside = (abs(dx) <= radius * 0.3 && abs(dy) <= radius) || (abs(dy) <= radius * 0.3 && abs(dx) <= radius)
                    }
                    if inside {
                        let offset = (y * size + x) * 3
                        pixels[offset] = UInt8(r); pixels[offset + 1] = UInt8(g); pixels[offset + 2] = UInt8(b)
                    }
                }
            }
        }
        let colourName = colours[colour].name, shapeName = shapes[shape]
        let caption: String
        if count == 1 {
            let article = Self.article(colourName)
            let phrasings = ["\(article) \(colourName) \(shapeName) \(positions[position]).", "\(article) \(colourName) \(shapeName).",
                             "a picture of a \(shapeName) that is \(colourName).", "one \(colourName) \(shapeName) \(positions[position])."]
            caption = phrasings[pick(phrasings.count)]
        } else {
            let phrasings = ["\(countWords[count - 1]) \(colourName) \(shapeName)s.", "a picture of \(countWords[count - 1]) \(shapeName)s, all \(colourName).",
                             "\(countWords[count - 1]) \(shapeName)s in \(colourName)."]
            caption = phrasings[pick(phrasings.count)]
        }
        return Item(image: RGBImage(width: size, height: size, pixels: pixels), caption: caption, shape: shape, colour: colour, count: count)
    }

    /// "an" before a vowel ("an orange circle"), else "a".
    public static func article(_ word: String) -> String {
        word.first.map { "aeiou".contains($0) } == true ? "an" : "a"
    }

    /// Writes `count` items as JPEG files under `folder/images` and a `filepath`/`title` TSV (plus
    /// `shape`, `colour` and `count` columns); returns the TSV's path.
    @discardableResult
    public static func write(count: Int, seed: UInt64, to folder: URL, name: String, size: Int = 48) throws -> URL {
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        var table = "filepath\ttitle\tshape\tcolour\tcount\n"
        for index in 0..<count {
            let item = self.item(index, seed: seed, size: size)
            let file = "images/\(name)_\(String(format: "%05d", index)).jpg"
            try item.image.jpegData().write(to: folder.appendingPathComponent(file))
            table += "\(file)\t\(item.caption)\t\(shapes[item.shape])\t\(colours[item.colour].name)\t\(item.count)\n"
        }
        let tsv = folder.appendingPathComponent("\(name).tsv")
        try Data(table.utf8).write(to: tsv, options: .atomic)
        return tsv
    }
}
