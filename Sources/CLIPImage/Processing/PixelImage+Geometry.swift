/// Resizing, cropping and flipping with Pillow's semantics.
extension PixelImage {
    /// `Image.resize(size, filter, box)`, as Pillow does it: palette and 1-bit images always use
    /// nearest neighbour; images with alpha are resized premultiplied; very tall images are
    /// resized vertically first.
    ///
    /// `window`, when given, is the part of the `width`×`height` result to compute: the result is
    /// that crop, with the same pixels as resizing everything and then cropping, but without the
    /// work or memory of the rest (a 46,341 × 1 image resized to a short side of 224 is 10 million
    /// pixels wide before its centre crop).
    public func resized(width: Int, height: Int, filter: ResampleFilter, box: (Float, Float, Float, Float)? = nil,
                        window: PixelWindow? = nil) -> PixelImage {
        precondition(width > 0 && height > 0, "resize to \(width)×\(height)")
        let window = window ?? PixelWindow(columns: 0..<width, rows: 0..<height)
        precondition(window.columns.clamped(to: 0..<width) == window.columns && window.rows.clamped(to: 0..<height) == window.rows
                     && !window.columns.isEmpty && !window.rows.isEmpty, "window inside the resized image")
        let box = box ?? (0, 0, Float(self.width), Float(self.height))
        if width == self.width && height == self.height && box == (0, 0, Float(self.width), Float(self.height)) {
            return cropped(left: window.columns.lowerBound, top: window.rows.lowerBound, width: window.columns.count, height: window.rows.count)
        }
        let filter = mode == .bilevel || mode == .palette ? .nearest : filter
        if (mode == .rgba || mode == .luminanceAlpha) && filter != .nearest {
            return premultiplied().resizedPremultipliedOrOpaque(width: width, height: height, filter: filter, box: box, window: window)
                .unpremultiplied()
        }
        return resizedPremultipliedOrOpaque(width: width, height: height, filter: filter, box: box, window: window)
    }

    private func resizedPremultipliedOrOpaque(width: Int, height: Int, filter: ResampleFilter,
                                              box: (Float, Float, Float, Float), window: PixelWindow) -> PixelImage {
        if self.height > self.width * 100 && height < self.height {
            // Pillow resizes very tall images vertically first; the window's rows come from that pass.
            let rows = resizedCore(width: self.width, height: height, filter: filter, box: (0, box.1, Float(self.width), box.3),
                                   window: PixelWindow(columns: 0..<self.width, rows: window.rows))
            return rows.resizedCore(width: width, height: rows.height, filter: filter, box: (box.0, 0, box.2, Float(rows.height)),
                                    window: PixelWindow(columns: window.columns, rows: 0..<rows.height))
        }
        return resizedCore(width: width, height: height, filter: filter, box: box, window: window)
    }

    /// Pillow's C-level `_resize`: a crop when the box is integral and already the right size,
    /// nearest-neighbour scaling, or separable resampling.
    private func resizedCore(width: Int, height: Int, filter: ResampleFilter, box: (Float, Float, Float, Float),
                             window: PixelWindow) -> PixelImage {
        if box.0 == box.0.rounded(.towardZero) && box.2 - box.0 == Float(width)
            && box.1 == box.1.rounded(.towardZero) && box.3 - box.1 == Float(height) {
            return cropped(left: Int(box.0) + window.columns.lowerBound, top: Int(box.1) + window.rows.lowerBound,
                           width: window.columns.count, height: window.rows.count)
        }
        if filter == .nearest {
            return nearestScaled(width: width, height: height, box: box, window: window)
        }
        return Resampler.resample(self, width: width, height: height, filter: filter, box: box, window: window)
    }

    /// `ImagingScaleAffine`: source coordinates advance by a running double sum, as in Pillow (so the
    /// sum still runs from the first column and row when only `window` is kept).
    private func nearestScaled(width: Int, height: Int, box: (Float, Float, Float, Float), window: PixelWindow) -> PixelImage {
        func sources(start: Float, scale: Double, limit: Int, kept: Range<Int>) -> [Int] {
            var source = [Int](repeating: -1, count: kept.count)
            var position = Double(start) + scale * 0.5
            for index in 0..<kept.upperBound {
                let input = position < 0 ? -1 : Int(position)
                if index >= kept.lowerBound, input >= 0, input < limit { source[index - kept.lowerBound] = input }
                position += scale
            }
            return source
        }
        let sourceColumn = sources(start: box.0, scale: Double(box.2 - box.0) / Double(width), limit: self.width,
                                   kept: window.columns)
        let sourceRow = sources(start: box.1, scale: Double(box.3 - box.1) / Double(height), limit: self.height,
                                kept: window.rows)
        return gathered(width: window.columns.count, height: window.rows.count) { x, y in
            sourceColumn[x] >= 0 && sourceRow[y] >= 0 ? (sourceColumn[x], sourceRow[y]) : nil
        }
    }

    /// `Image.crop((left, top, left + width, top + height))`; areas outside the image are zero.
    public func cropped(left: Int, top: Int, width: Int, height: Int) -> PixelImage {
        gathered(width: width, height: height) { x, y in
            let (sx, sy) = (left + x, top + y)
            return sx >= 0 && sx < self.width && sy >= 0 && sy < self.height ? (sx, sy) : nil
        }
    }

    /// Mirrored left to right.
    public func flippedHorizontally() -> PixelImage {
        gathered(width: width, height: height) { x, y in (self.width - 1 - x, y) }
    }

    /// A new image whose pixel (x, y) copies `source(x, y)` of this one, or is zero.
    private func gathered(width: Int, height: Int, _ source: (Int, Int) -> (Int, Int)?) -> PixelImage {
        if mode == .luminance16 {
            var out = [UInt16](repeating: 0, count: width * height)
            for y in 0..<height { for x in 0..<width { if let (sx, sy) = source(x, y) { out[y * width + x] = samples16[sy * self.width + sx] } } }
            return with(width: width, height: height, samples16: out)
        }
        let channels = mode.channels
        var out = [UInt8](repeating: 0, count: width * height * channels)
        for y in 0..<height {
            for x in 0..<width {
                guard let (sx, sy) = source(x, y) else { continue }
                let from = (sy * self.width + sx) * channels, to = (y * width + x) * channels
                for c in 0..<channels { out[to + c] = samples[from + c] }
            }
        }
        return with(width: width, height: height, samples: out)
    }
}

/// A rectangle of output pixels: the columns and rows of a resized image to compute.
public struct PixelWindow: Sendable, Equatable {
    /// Output columns, left to right.
    public var columns: Range<Int>
    /// Output rows, top to bottom.
    public var rows: Range<Int>

    /// The window of `columns` × `rows`.
    public init(columns: Range<Int>, rows: Range<Int>) {
        self.columns = columns
        self.rows = rows
    }
}
