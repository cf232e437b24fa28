import CLIPTensor
import CLIPTestSupport
import Testing

@Suite("Threads", .serialized)
struct ThreadingTests {
    @Test("kernels give identical results on one thread and on several")
    func threadCountDoesNotChangeResults() {
        let x = Tensor.normal([64, 3000], seed: 9)
        let w = Tensor.normal([3000], seed: 10)
        let previous = ComputeThreads.count
        defer { ComputeThreads.setCount(previous) }
        func run() -> [[Float]] {
            [gelu(x).scalars, softmax(x).scalars, layerNorm(x, weight: w, bias: w).scalars,
             (x * w).scalars, x.sum(alongAxis: 0).scalars, quickGELU(x).scalars]
        }
        ComputeThreads.setCount(1)
        let serial = run()
        ComputeThreads.setCount(4)
        let parallel = run()
        for (a, b) in zip(serial, parallel) { #expect(a == b) }
    }

    @Test("the thread count is at least one and applies to BLAS")
    func threadCount() {
        #expect(ComputeThreads.count >= 1)
        #expect(ComputeThreads.availableCores >= 1)
    }
}
