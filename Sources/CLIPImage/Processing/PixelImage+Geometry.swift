/// Resizing, cropping and flipping with Pillow's semantics.
extension PixelImage {
    /// `Image.resize(size, filter, box)`, as Pillow does it: palette and 1-bit images always use
    /// nearest neighbour; images with alpha are resized premultiplied; very tall images are
    /// resized vertically first.
    public func resized(width: Int, height: Int, filter: ResampleFilter, box: (Float, Float, Float, Float)? = nil) -> PixelImage {
        precondition(width > 0 && height > 0, "resize to \(width)×\(height)")
        let box = box ?? (0, 0, Float(self.width), Float(self.height))
        if width == self.width && height == self.height && box == (0, 0, Float(self.width), Float(self.height)) {
            return self
        }
        let filter = mode == .bilevel || mode == .palette ? .nearest : filter
        if (mode == .rgba || mode == .luminanceAlpha) && filter != .nearest {
            return premultiplied().resizedPremultipliedOrOpaque(width: width, height: height, filter: filter, box: box)
                .unpremultiplied()
        }
        return resizedPremultipliedOrOpaque(width: width, height: height, filter: filter, box: box)
    }

    private func resizedPremultipliedOrOpaque(width: Int, height: Int, filter: ResampleFilter,
                                              box: (Float, Float, Float, Float)) -> PixelImage {
        if self.height > self.width * 100 && height < self.height {
            return resizedCore(width: self.width, height: height, filter: filter, box: (0, box.1, Float(self.width), box.3))
                .resizedCore(width: width, height: height, filter: filter, box: (box.0, 0, box.2, Float(height)))
        }
        return resizedCore(width: width, height: height, filter: filter, box: box)
    }

    /// Pillow's C-level `_resize`: a crop when the box is integral and already the right size,
    /// nearest-neighbour scaling, or separable resampling.
    private func resizedCore(width: Int, height: Int, filter: ResampleFilter, box: (Float, Float, Float, Float)) -> PixelImage {
        if box.0 == box.0.rounded(.towardZero) && box.2 - box.0 == Float(width)
            && box.1 == box.1.rounded(.towardZero) && box.3 - box.1 == Float(height) {
            return cropped(left: Int(box.0), top: Int(box.1), width: width, height: height)
        }
        if filter == .nearest {
            return nearestScaled(width: width, height: height, box: box)
        }
        return Resampler.resample(self, width: width, height: height, filter: filter, box: box)
    }

    /// `ImagingScaleAffine`: source coordinates advance by a running double sum, as in Pillow.
    private func nearestScaled(width: Int, height: Int, box: (Float, Float, Float, Float)) -> PixelImage {
        let scaleX = Double(box.2 - box.0) / Double(width)
        let scaleY = Double(box.3 - box.1) / Double(height)
        var sourceColumn = [Int](repeating: -1, count: width)
        var xo = Double(box.0) + scaleX * 0.5
        for x in 0..<width {
            let xin = xo < 0 ? -1 : Int(xo)
            if xin >= 0 && xin < self.width { sourceColumn[x] = xin }
            xo += scaleX
        }
        var sourceRow = [Int](repeating: -1, count: height)
        var yo = Double(box.1) + scaleY * 0.5
        for y in 0..<height {
            let yin = yo < 0 ? -1 : Int(yo)
            if yin >= 0 && yin < self.height { sourceRow[y] = yin }
            yo += scaleY
        }
        return gathered(width: width, height: height) { x, y in
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
