import Foundation
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

    @Test("setting the thread count changes it from then on, and setting it back restores it")
    func threadCount() {
        let before = ComputeThreads.count
        defer { ComputeThreads.setCount(before) }
        ComputeThreads.setCount(before + 2)
        #expect(ComputeThreads.count == before + 2)
        ComputeThreads.setCount(1)
        #expect(ComputeThreads.count == 1)
    }

    @Test("the available cores are the operating system's count")
    func availableCores() {
        #expect(ComputeThreads.availableCores == ProcessInfo.processInfo.activeProcessorCount)
    }
}
