import CLIPTensor
import Foundation
import HeapModule

/// A hierarchical navigable small-world graph (Malkov and Yashunin, 2018) over the first `count`
/// rows of a vector file, for approximate maximum-inner-product search. It holds only links: the
/// vectors stay in the mapped file and are scored in place (`RowScorer`), float16 or float32.
///
/// Level 0 links every node to at most `2m` neighbours, upper levels to at most `m` (as faiss does:
/// a new node picks that many too); a node's top
/// level is drawn from a geometric distribution with factor 1/ln(m). Neighbours are chosen by the
/// heuristic that keeps a candidate only if it is closer to the new node than to every neighbour
/// already kept. Rows are inserted in order, so the graph covers a prefix of the file and grows
/// as the file does.
public final class HNSWGraph {
    /// Links per node on the upper levels (twice as many on level 0).
    let m: Int
    /// Candidates considered while inserting.
    let efConstruction: Int
    /// Rows `0..<count` are in the graph.
    public private(set) var count = 0
    /// The node searches start from, on `maxLevel`; -1 while empty.
    private(set) var entry: Int32 = -1
    private(set) var maxLevel = -1
    /// Each node's top level.
    private(set) var levels: [UInt8] = []
    /// Level-0 links: `count` slots of `2m`, the first `level0Counts[node]` used.
    private(set) var level0: [Int32] = []
    private(set) var level0Counts: [UInt8] = []
    /// Links of levels 1 and up, for the nodes that reach them: `upper[node][level - 1]`.
    private(set) var upper: [Int32: [[Int32]]] = [:]
    private var random: RandomGenerator
    private var visited = VisitedMarks()

    /// The highest level a node may get (a bound for files read back).
    static let levelLimit = 32

    /// An empty graph: `m` links per node (2m on level 0), `efConstruction` candidates per insertion.
    public init(m: Int = 32, efConstruction: Int = 80, seed: UInt64 = 20261202) {
        self.m = m
        self.efConstruction = efConstruction
        random = RandomGenerator(seed: seed)
    }

    /// A graph read back from its parts (`HNSWGraph+File`), already validated.
    init(m: Int, efConstruction: Int, count: Int, entry: Int32, maxLevel: Int, levels: [UInt8], level0: [Int32],
         level0Counts: [UInt8], upper: [Int32: [[Int32]]], seed: UInt64) {
        self.m = m
        self.efConstruction = efConstruction
        self.count = count
        self.entry = entry
        self.maxLevel = maxLevel
        self.levels = levels
        self.level0 = level0
        self.level0Counts = level0Counts
        self.upper = upper
        random = RandomGenerator(seed: seed &+ UInt64(count))
    }

    var m0: Int { 2 * m }

    /// A scored node; heaps order by score, then by lower row first.
    struct Scored: Comparable {
        let score: Float
        let node: Int32
        static func < (lhs: Scored, rhs: Scored) -> Bool {
            lhs.score != rhs.score ? lhs.score < rhs.score : lhs.node > rhs.node
        }
    }

    // MARK: - Links

    func neighbours(of node: Int32, level: Int) -> ArraySlice<Int32> {
        if level == 0 {
            let start = Int(node) * m0
            return level0[start..<(start + Int(level0Counts[Int(node)]))]
        }
        return upper[node]?[level - 1][...] ?? []
    }

    private func setNeighbours(_ nodes: [Int32], of node: Int32, level: Int) {
        if level == 0 {
            let start = Int(node) * m0
            for (offset, neighbour) in nodes.enumerated() { level0[start + offset] = neighbour }
            level0Counts[Int(node)] = UInt8(nodes.count)
        } else {
            upper[node]![level - 1] = nodes
        }
    }

    // MARK: - Insertion

    /// Adds rows `count..<rows` of the file `scorer` reads; `progress(done, total)` every 1,000 rows.
    func extend(to rows: Int, scorer: RowScorer, progress: ((Int, Int) -> Void)? = nil) {
        guard rows > count else { return }
        let vector = UnsafeMutablePointer<Float>.allocate(capacity: scorer.width)
        let scratch = Scratch(width: scorer.width)
        defer {
            vector.deallocate()
            scratch.deallocate()
        }
        levels.reserveCapacity(rows)
        level0.reserveCapacity(rows * m0)
        level0Counts.reserveCapacity(rows)
        visited.grow(to: rows)
        let first = count
        while count < rows {
            scorer.widen(count, into: vector)
            insert(Int32(count), vector: vector, scorer: scorer, scratch: scratch)
            if (count - first) % 1_000 == 0 || count == rows { progress?(count - first, rows - first) }
        }
    }

    private func randomLevel() -> Int {
        let uniform = Double(random.next() >> 11) / Double(1 << 53)
        let level = Int(-log(max(uniform, .leastNonzeroMagnitude)) / log(Double(m)))
        return min(level, Self.levelLimit)
    }

    /// Rows widened while linking, allocated once per `extend` rather than once per link.
    private struct Scratch {
        /// The neighbour whose links are being pruned.
        let base: UnsafeMutablePointer<Float>
        /// The candidate being tested by the heuristic.
        let candidate: UnsafeMutablePointer<Float>

        init(width: Int) {
            base = .allocate(capacity: width)
            candidate = .allocate(capacity: width)
        }

        func deallocate() {
            base.deallocate()
            candidate.deallocate()
        }
    }

    private func insert(_ node: Int32, vector: UnsafePointer<Float>, scorer: RowScorer, scratch: Scratch) {
        let level = randomLevel()
        levels.append(UInt8(level))
        level0.append(contentsOf: repeatElement(-1, count: m0))
        level0Counts.append(0)
        if level > 0 { upper[node] = Array(repeating: [], count: level) }
        count += 1
        guard entry >= 0 else {
            entry = node
            maxLevel = level
            return
        }
        var nearest = Scored(score: scorer.score(Int(entry), vector), node: entry)
        if maxLevel > level {
            for layer in stride(from: maxLevel, to: level, by: -1) { nearest = greedy(from: nearest, query: vector, level: layer, scorer: scorer) }
        }
        var starts = [nearest]
        for layer in stride(from: min(level, maxLevel), through: 0, by: -1) {
            let found = searchLevel(from: starts, query: vector, ef: efConstruction, level: layer, scorer: scorer)
            let limit = layer == 0 ? m0 : m
            let chosen = selectNeighbours(found.sorted(by: >), limit: limit, scorer: scorer, scratch: scratch)
            setNeighbours(chosen.map(\.node), of: node, level: layer)
            for neighbour in chosen {
                link(neighbour.node, to: node, score: neighbour.score, level: layer, limit: limit, scorer: scorer, scratch: scratch)
            }
            starts = found
        }
        if level > maxLevel {
            entry = node
            maxLevel = level
        }
    }

    /// Adds `node` to `neighbour`'s links, pruning them by the heuristic when they overflow.
    private func link(_ neighbour: Int32, to node: Int32, score: Float, level: Int, limit: Int, scorer: RowScorer, scratch: Scratch) {
        // Room left: append in place (no slice of the links held, which would make the write copy them all).
        if level == 0, level0Counts[Int(neighbour)] < limit {
            level0[Int(neighbour) * m0 + Int(level0Counts[Int(neighbour)])] = node
            level0Counts[Int(neighbour)] += 1
            return
        }
        if level > 0, upper[neighbour]![level - 1].count < limit {
            upper[neighbour]![level - 1].append(node)
            return
        }
        scorer.widen(Int(neighbour), into: scratch.base)
        var candidates = neighbours(of: neighbour, level: level).map { Scored(score: scorer.score(Int($0), scratch.base), node: $0) }
        candidates.append(Scored(score: score, node: node))
        let kept = selectNeighbours(candidates.sorted(by: >), limit: limit, scorer: scorer, scratch: scratch)
        setNeighbours(kept.map(\.node), of: neighbour, level: level)
    }

    /// The heuristic: from `candidates` (best first, scored against the base), keep one only if
    /// it is closer to the base than to every one kept before it.
    private func selectNeighbours(_ candidates: [Scored], limit: Int, scorer: RowScorer, scratch: Scratch) -> [Scored] {
        guard candidates.count > limit else { return candidates }
        var kept: [Scored] = []
        for candidate in candidates {
            scorer.widen(Int(candidate.node), into: scratch.candidate)
            if kept.allSatisfy({ scorer.score(Int($0.node), scratch.candidate) < candidate.score }) {
                kept.append(candidate)
                if kept.count == limit { break }
            }
        }
        return kept
    }

    // MARK: - Search

    /// Moves to ever closer neighbours on `level` until none is closer.
    private func greedy(from start: Scored, query: UnsafePointer<Float>, level: Int, scorer: RowScorer) -> Scored {
        var best = start
        var improved = true
        while improved {
            improved = false
            for neighbour in neighbours(of: best.node, level: level) {
                let score = scorer.score(Int(neighbour), query)
                if score > best.score {
                    best = Scored(score: score, node: neighbour)
                    improved = true
                }
            }
        }
        return best
    }

    /// The `ef` nodes closest to `query` found on `level` from `starts`, in no order.
    private func searchLevel(from starts: [Scored], query: UnsafePointer<Float>, ef: Int, level: Int, scorer: RowScorer) -> [Scored] {
        // Local copies keep the hot loop free of the class's exclusivity checks.
        var marks = VisitedMarks()
        swap(&marks, &visited)
        defer { swap(&marks, &visited) }
        marks.clear()
        var candidates = Heap<Scored>()
        var results = Heap<Scored>()
        for start in starts where marks.mark(Int(start.node)) {
            candidates.insert(start)
            results.insert(start)
        }
        while results.count > ef { _ = results.popMin() }
        let fresh = UnsafeMutablePointer<Int32>.allocate(capacity: max(m0, 1))
        defer { fresh.deallocate() }
        while let closest = candidates.popMax() {
            if results.count >= ef, let worst = results.min, closest.score < worst.score { break }
            // Unvisited neighbours first, their rows prefetched, then scored.
            var freshCount = 0
            for neighbour in neighbours(of: closest.node, level: level) where marks.mark(Int(neighbour)) {
                fresh[freshCount] = neighbour
                freshCount += 1
                scorer.prefetch(Int(neighbour))
            }
            for index in 0..<freshCount {
                let neighbour = fresh[index]
                let score = scorer.score(Int(neighbour), query)
                if results.count < ef || score > results.min!.score {
                    let scored = Scored(score: score, node: neighbour)
                    candidates.insert(scored)
                    results.insert(scored)
                    if results.count > ef { _ = results.popMin() }
                }
            }
        }
        return Array(results.unordered)
    }

    /// Adds the rows of `matrix` the graph does not cover yet.
    public func extend(with matrix: VectorMatrix, progress: ((Int, Int) -> Void)? = nil) throws {
        try matrix.withRows { extend(to: matrix.count, scorer: RowScorer(base: $0, matrix: matrix), progress: progress) }
    }

    /// The `ef` rows of `matrix` (the file the graph was built over) best for `query`, best first.
    public func search(_ query: [Float], in matrix: VectorMatrix, ef: Int) throws -> [SearchHit] {
        guard query.count == matrix.width else { throw SearchError.widthMismatch(expected: matrix.width, actual: query.count) }
        guard matrix.count >= count else { throw SearchError.invalidQuery("the graph covers \(count) rows; the vector file has \(matrix.count)") }
        return try matrix.withRows(limit: count) { base in
            query.withUnsafeBufferPointer { search($0.baseAddress!, ef: max(ef, 1), scorer: RowScorer(base: base, matrix: matrix)) }
        }
    }

    /// The `ef` best nodes for `query` (a unit vector), best first.
    func search(_ query: UnsafePointer<Float>, ef: Int, scorer: RowScorer) -> [SearchHit] {
        guard entry >= 0 else { return [] }
        visited.grow(to: count)
        var nearest = Scored(score: scorer.score(Int(entry), query), node: entry)
        if maxLevel > 0 {
            for layer in stride(from: maxLevel, to: 0, by: -1) { nearest = greedy(from: nearest, query: query, level: layer, scorer: scorer) }
        }
        return searchLevel(from: [nearest], query: query, ef: ef, level: 0, scorer: scorer).sorted(by: >)
            .map { SearchHit(row: Int($0.node), score: $0.score) }
    }
}

/// Which nodes a search has seen, cleared in O(1) by moving to the next generation.
struct VisitedMarks {
    private var marks: [UInt32] = []
    private var generation: UInt32 = 1

    mutating func grow(to count: Int) {
        if marks.count < count { marks.append(contentsOf: repeatElement(0, count: count - marks.count)) }
    }

    mutating func clear() {
        generation &+= 1
        if generation == 0 {
            for index in marks.indices { marks[index] = 0 }
            generation = 1
        }
    }

    /// Marks `node`; true if it was not marked in this generation.
    mutating func mark(_ node: Int) -> Bool {
        if marks[node] == generation { return false }
        marks[node] = generation
        return true
    }
}
