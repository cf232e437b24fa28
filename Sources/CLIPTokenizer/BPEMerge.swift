/// The merge step of byte-level BPE: repeatedly take the lowest-ranked adjacent pair and merge it
/// everywhere it occurs, left to right without overlaps, until no pair has a rank — OpenAI's `bpe`.
extension BPEVocabulary {
    /// Words longer than this (in byte symbols) are merged through a priority queue: rescanning the
    /// whole word for every merge takes time quadratic in its length, and a hostile text of one
    /// 200,000-letter word took half a minute.
    static let scanningMergeLimit = 64

    /// `symbols` (ids of byte symbols, the last one word-final) merged by rank.
    func merged(_ symbols: [Int]) -> [Int] {
        symbols.count <= Self.scanningMergeLimit ? mergedByScanning(symbols) : mergedThroughQueue(symbols)
    }

    /// The reference's loop: find the best pair, rebuild the word with it merged, repeat.
    func mergedByScanning(_ symbols: [Int]) -> [Int] {
        var word = symbols
        while word.count > 1 {
            var bestRank = Int32.max
            var bestKey: UInt64 = 0
            for i in 0..<(word.count - 1) {
                let key = Self.pairKey(word[i], word[i + 1])
                if let rank = mergeRanks[key], rank < bestRank {
                    bestRank = rank
                    bestKey = key
                }
            }
            guard bestRank != Int32.max, let merged = mergeResults[bestKey] else { break }
            var next: [Int] = []
            next.reserveCapacity(word.count)
            var i = 0
            while i < word.count {
                if i + 1 < word.count && Self.pairKey(word[i], word[i + 1]) == bestKey {
                    next.append(Int(merged))
                    i += 2
                } else {
                    next.append(word[i])
                    i += 1
                }
            }
            word = next
        }
        return word
    }

    /// The same merges in O(n log n): the symbols form a linked list, and every adjacent pair with a
    /// rank waits in a min-queue keyed by (rank, position). All pairs of the lowest rank are merged
    /// in position order as one round, as the reference's pass does; stale entries (a symbol merged
    /// away, or a pair that changed) are skipped, and pairs made by a round join the queue after it.
    func mergedThroughQueue(_ symbols: [Int]) -> [Int] {
        var ids = symbols
        var next = Array(1...symbols.count)          // symbols.count marks the end
        var previous = Array(-1..<(symbols.count - 1))
        var alive = [Bool](repeating: true, count: symbols.count)
        var queue = MinQueue()
        func entry(_ left: Int) -> UInt64? {
            let right = next[left]
            guard right < ids.count, let rank = mergeRanks[Self.pairKey(ids[left], ids[right])] else { return nil }
            return UInt64(UInt32(rank)) << 32 | UInt64(left)
        }
        for position in 0..<(symbols.count - 1) { if let key = entry(position) { queue.insert(key) } }
        var made: [UInt64] = []
        while let first = queue.minimum {
            let rank = first >> 32
            made.removeAll(keepingCapacity: true)
            while let top = queue.minimum, top >> 32 == rank {
                queue.removeMinimum()
                let left = Int(top & 0xFFFF_FFFF)
                guard alive[left], let current = entry(left), current == top else { continue }
                let right = next[left]
                guard let merged = mergeResults[Self.pairKey(ids[left], ids[right])] else { continue }
                ids[left] = Int(merged)
                alive[right] = false
                next[left] = next[right]
                if next[right] < ids.count { previous[next[right]] = left }
                if previous[left] >= 0, let key = entry(previous[left]) { made.append(key) }
                if let key = entry(left) { made.append(key) }
            }
            for key in made { queue.insert(key) }
        }
        var word: [Int] = []
        var position = 0
        while position < ids.count {
            word.append(ids[position])
            position = next[position]
        }
        return word
    }
}

/// A binary min-heap of UInt64 keys.
struct MinQueue {
    private var keys: [UInt64] = []

    var minimum: UInt64? { keys.first }

    mutating func insert(_ key: UInt64) {
        keys.append(key)
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard keys[child] < keys[parent] else { break }
            keys.swapAt(child, parent)
            child = parent
        }
    }

    mutating func removeMinimum() {
        guard keys.count > 1 else { keys.removeAll(); return }
        keys[0] = keys.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < keys.count, keys[left] < keys[smallest] { smallest = left }
            if right < keys.count, keys[right] < keys[smallest] { smallest = right }
            guard smallest != parent else { return }
            keys.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
