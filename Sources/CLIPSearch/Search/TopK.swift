/// A row and its score.
public struct SearchHit: Equatable, Sendable {
    /// The row in the vector matrix.
    public let row: Int
    /// The cosine similarity (query and rows normalised).
    public let score: Float

    /// A hit.
    public init(row: Int, score: Float) {
        self.row = row
        self.score = score
    }

    /// Higher scores first; equal scores by lower row, so that results do not depend on scan order.
    func ranksAbove(_ other: SearchHit) -> Bool {
        score != other.score ? score > other.score : row < other.row
    }
}

/// The `k` best of a stream of hits, kept in a heap whose root is the worst kept: each new hit costs
/// one comparison unless it enters, so a scan of n rows is O(n + k log k), never a full sort.
struct TopK {
    let k: Int
    private var heap: [SearchHit] = []

    init(_ k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// The worst hit kept, once `k` are kept: anything not above it cannot enter.
    var floor: SearchHit? { heap.count == k ? heap.first : nil }

    mutating func offer(_ hit: SearchHit) {
        guard k > 0 else { return }
        if heap.count < k {
            heap.append(hit)
            siftUp(heap.count - 1)
        } else if hit.ranksAbove(heap[0]) {
            heap[0] = hit
            siftDown(0)
        }
    }

    /// The hits kept, best first.
    func sorted() -> [SearchHit] { heap.sorted { $0.ranksAbove($1) } }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[parent].ranksAbove(heap[child]) else { return }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var worst = parent
            if left < heap.count, heap[worst].ranksAbove(heap[left]) { worst = left }
            if right < heap.count, heap[worst].ranksAbove(heap[right]) { worst = right }
            guard worst != parent else { return }
            heap.swapAt(parent, worst)
            parent = worst
        }
    }
}
