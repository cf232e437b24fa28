import CLIPTensor
import CLIPTestSupport
import Testing

@Suite("Tensor basics")
struct TensorBasicsTests {
    @Test("creation helpers fill the expected values")
    func creation() {
        #expect(Tensor.zeros([2, 3]).scalars == [0, 0, 0, 0, 0, 0])
        #expect(Tensor.ones([2]).scalars == [1, 1])
        #expect(Tensor.full([3], 2.5).scalars == [2.5, 2.5, 2.5])
        #expect(Tensor.arange(5).scalars == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(1, 2, step: 0.25).scalars == [1, 1.25, 1.5, 1.75])
        #expect(Tensor([[1, 2], [3, 4]]).shape == [2, 2])
        #expect(Tensor(3).shape == [])
        #expect(Tensor(3).item() == 3)
    }

    @Test("seeded random tensors repeat and have the requested moments")
    func seededRandom() {
        let a = Tensor.normal([10_000], mean: 2, std: 3, seed: 42)
        let b = Tensor.normal([10_000], mean: 2, std: 3, seed: 42)
        #expect(a.scalars == b.scalars)
        #expect(Tensor.normal([100], seed: 43).scalars != Tensor.normal([100], seed: 42).scalars)
        let mean = a.mean().item()
        let variance = ((a - mean) * (a - mean)).mean().item()
        #expect(abs(mean - 2) < 0.1)
        #expect(abs(variance.squareRoot() - 3) < 0.1)
        let u = Tensor.uniform([10_000], low: -1, high: 3, seed: 1)
        #expect(u.scalars.allSatisfy { $0 >= -1 && $0 < 3 })
        #expect(abs(u.mean().item() - 1) < 0.05)
    }

    @Test("element access reads and writes by index")
    func elementAccess() {
        let t = Tensor.arange(6).reshaped([2, 3])
        #expect(t[1, 2] == 5)
        t[0, 1] = 10
        #expect(t.scalars == [0, 10, 2, 3, 4, 5])
    }

    @Test("reshape is a view that shares storage, with one inferred axis")
    func reshapeView() {
        let t = Tensor.arange(6)
        let r = t.reshaped([3, -1])
        #expect(r.shape == [3, 2])
        r[2, 1] = 42
        #expect(t.scalars.last == 42)
    }

    @Test("transpose and permute reorder elements")
    func transposes() {
        let t = Tensor.arange(6).reshaped([2, 3])
        #expect(t.transposed().scalars == [0, 3, 1, 4, 2, 5])
        let p = Tensor.arange(24).reshaped([2, 3, 4]).permuted([2, 0, 1])
        #expect(p.shape == [4, 2, 3])
        #expect(p[1, 1, 2] == 21)   // original [1, 2, 1]
    }

    @Test("slices and row gathers pick the right elements")
    func slicing() {
        let t = Tensor.arange(12).reshaped([3, 4])
        #expect(t.sliced(1..<3).scalars == [4, 5, 6, 7, 8, 9, 10, 11])
        #expect(t.sliced(1..<3, alongAxis: 1).scalars == [1, 2, 5, 6, 9, 10])
        #expect(t.gatheringRows([2, 0, 2]).scalars == [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11])
    }

    @Test("concatenate joins along any axis")
    func concatenation() {
        let a = Tensor([[1, 2], [3, 4]])
        let b = Tensor([[5], [6]])
        #expect(concatenate([a, b], alongAxis: 1).scalars == [1, 2, 5, 3, 4, 6])
        #expect(concatenate([a, a], alongAxis: 0).shape == [4, 2])
    }

    @Test("arithmetic broadcasts like numpy")
    func broadcasting() {
        let a = Tensor([[1, 2, 3], [4, 5, 6]])
        let column = Tensor(shape: [2, 1], scalars: [10, 20])
        let row = Tensor([100, 200, 300])
        #expect((a + column).scalars == [11, 12, 13, 24, 25, 26])
        #expect((a * row).scalars == [100, 400, 900, 400, 1000, 1800])
        #expect((column - row).shape == [2, 3])
        #expect((column - row).scalars == [-90, -190, -290, -80, -180, -280])
        #expect((a / 2).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect((1 - a).scalars == [0, -1, -2, -3, -4, -5])
    }

    @Test("broadcasting handles long rows split across threads")
    func largeBroadcast() {
        let a = Tensor.normal([300, 517], seed: 1)
        let b = Tensor.normal([517], seed: 2)
        let sum = (a + b).scalars
        let (av, bv) = (a.scalars, b.scalars)
        var worst: Float = 0
        for i in 0..<300 { for j in 0..<517 { worst = max(worst, abs(sum[i * 517 + j] - (av[i * 517 + j] + bv[j]))) } }
        #expect(worst == 0)
    }

    @Test("reductions along axes")
    func reductions() {
        let t = Tensor([[1, 5, 3], [4, 2, 6]])
        #expect(t.sum().item() == 21)
        #expect(t.sum(alongAxis: 0).scalars == [5, 7, 9])
        #expect(t.sum(alongAxis: 1, keepingDimensions: true).shape == [2, 1])
        #expect(t.mean(alongAxis: 1).scalars == [3, 4])
        #expect(t.max(alongAxis: 1).scalars == [5, 6])
        #expect(t.max().item() == 6)
        #expect(t.argmax(alongAxis: 1) == [1, 2])
        #expect(t.argmax(alongAxis: 0) == [1, 0, 1])
    }

    @Test("argmax returns the first of equal maxima")
    func argmaxTies() {
        #expect(Tensor([[3, 7, 7, 1]]).argmax(alongAxis: 1) == [1])
    }
}
