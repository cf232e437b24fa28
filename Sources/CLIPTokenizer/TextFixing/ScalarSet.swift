/// A set of Unicode code points stored as sorted, disjoint closed ranges.
struct ScalarSet: Sendable {
    private let lows: [UInt32]
    private let highs: [UInt32]

    init(ranges: [(UInt32, UInt32)]) {
        let sorted = ranges.sorted { $0.0 < $1.0 }
        lows = sorted.map(\.0)
        highs = sorted.map(\.1)
    }

    /// From JSON `[[lo, hi], ...]`.
    init(json: Any?) {
        let pairs = (json as? [[Int]]) ?? []
        self.init(ranges: pairs.compactMap { $0.count == 2 ? (UInt32($0[0]), UInt32($0[1])) : nil })
    }

    func contains(_ value: UInt32) -> Bool {
        var low = 0, high = lows.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if value < lows[middle] {
                high = middle - 1
            } else if value > highs[middle] {
                low = middle + 1
            } else {
                return true
            }
        }
        return false
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool { contains(scalar.value) }
}
