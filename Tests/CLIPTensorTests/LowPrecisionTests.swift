@testable import CLIPTensor
import CLIPTestSupport
import Foundation
import Testing

/// bf16 and int8 products: bf16 rounding against torch, the int8 product against integer
/// arithmetic, and linear layers and convolutions in each precision against f32.
@Suite("Low-precision products")
struct LowPrecisionTests {
    /// Products of bf16 values are exact in f32, so a bf16 product differs from the f32 product of
    /// the rounded operands only by summation order (as OpsParityTests' tolerance).
    static let summationTolerance = OpsParityTests.relativeTolerance

    struct RoundingFixture: Decodable {
        let f32_bits: [UInt32]
        let bf16_bits: [UInt16]
        let nan_f32_bits: [UInt32]
    }

    @Test("bf16 conversion equals torch's to(torch.bfloat16), ties to even, overflow to infinity, NaN kept")
    func bf16RoundingEqualsTorch() throws {
        let url = ReferenceData.fixturesDirectory().appendingPathComponent("bf16_rounding.json")
        let fixture = try JSONDecoder().decode(RoundingFixture.self, from: Data(contentsOf: url))
        try #require(fixture.f32_bits.count == fixture.bf16_bits.count && fixture.f32_bits.count > 4000)
        let values = fixture.f32_bits.map { Float(bitPattern: $0) }
        let rounded = LowPrecisionWeight(converting: Tensor(shape: [1, values.count], scalars: values), to: .bf16).dequantized().scalars
        var mismatches = 0
        for (index, value) in rounded.enumerated() where value.bitPattern != UInt32(fixture.bf16_bits[index]) << 16 {
            if mismatches < 5 {
                Issue.record("f32 bits 0x\(String(fixture.f32_bits[index], radix: 16)): bf16 0x\(String(value.bitPattern >> 16, radix: 16)), torch 0x\(String(fixture.bf16_bits[index], radix: 16))")
            }
            mismatches += 1
        }
        #expect(mismatches == 0)
        let nans = fixture.nan_f32_bits.map { Float(bitPattern: $0) }
        let roundedNaNs = LowPrecisionWeight(converting: Tensor(shape: [1, nans.count], scalars: nans), to: .bf16).dequantized().scalars
        #expect(roundedNaNs.allSatisfy { $0.isNaN })
    }

    /// Random int8 values (the full range, -128 included) with extremes planted: every row and
    /// column holds a run of 127s and -128s, which a 16-bit pairwise sum would saturate.
    private func int8Matrix(rows: Int, columns: Int, range: ClosedRange<Int8>, seed: UInt64) -> [Int8] {
        var generator = RandomGenerator(seed: seed)
        var values = (0..<(rows * columns)).map { _ in
            Int8(clamping: Int(range.lowerBound) + Int(generator.nextUniform() * Float(Int(range.upperBound) - Int(range.lowerBound) + 1)))
        }
        for row in 0..<rows where columns >= 8 {
            for column in 0..<4 { values[row * columns + column] = range.upperBound }
            for column in 4..<8 { values[row * columns + column] = range.lowerBound }
        }
        return values
    }

    private func integerReference(_ a: [Int8], _ b: [Int8], m: Int, n: Int, k: Int) -> [Int32] {
        var c = [Int32](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Int32 = 0
                for p in 0..<k { sum += Int32(a[i * k + p]) * Int32(b[j * k + p]) }
                c[i * n + j] = sum
            }
        }
        return c
    }

    private func int8Product(_ a: [Int8], _ b: [Int8], m: Int, n: Int, k: Int, onOneDNN: Bool) -> [Int32] {
        var c = [Int32](repeating: -1, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    GEMM.int8Product(m: m, k: k, a: a.baseAddress!, b: b.baseAddress!, ldb: k, columns: 0..<n,
                                     c: c.baseAddress!, ldc: n, onOneDNN: onOneDNN)
                }
            }
        }
        return c
    }

    @Test("the int8 product equals integer arithmetic exactly (int32 sums, extremes included)",
          arguments: [(7, 37, 70), (5, 64, 768), (50, 96, 3072), (1, 3, 5)])
    func int8ProductIsExact(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = int8Matrix(rows: m, columns: k, range: -128...127, seed: 1)
        let b = int8Matrix(rows: n, columns: k, range: -128...127, seed: 2)
        #expect(int8Product(a, b, m: m, n: n, k: k, onOneDNN: false) == integerReference(a, b, m: m, n: n, k: k))
    }

    @Test("oneDNN's int8 matmul equals integer arithmetic (the full range with VNNI, else where it cannot saturate)")
    func oneDNNInt8ProductIsExact() {
        // Without VNNI oneDNN adds u8·s8 pairs in 16 bits (why swift-clip does not use it there);
        // values within ±8 keep every pair sum far below 2¹⁵, so the primitive itself is still checked.
        let range: ClosedRange<Int8> = PrecisionHardware.current.hasVNNI ? -128...127 : -8...8
        let (m, n, k) = (9, 80, 300)
        let a = int8Matrix(rows: m, columns: k, range: range, seed: 3)
        let b = int8Matrix(rows: n, columns: k, range: range, seed: 4)
        #expect(OneDNNMatmul.implementation(of: .int8) != nil)
        #expect(int8Product(a, b, m: m, n: n, k: k, onOneDNN: true) == integerReference(a, b, m: m, n: n, k: k))
    }

    @Test("int8 weights: per-row scale max|w|/127, values round(w/scale), all-zero rows kept")
    func int8WeightQuantisation() {
        let weight = Tensor(shape: [3, 4], scalars: [0.5, -1.27, 0.01, 1.0, 0, 0, 0, 0, 2, -2, 1, 0.0078])
        let converted = LowPrecisionWeight(converting: weight, to: .int8)
        #expect(converted.scales.count == 3)
        #expect(abs(converted.scales[0] - 1.27 / 127) < 1e-9 && converted.scales[1] == 1 && abs(converted.scales[2] - 2 / 127) < 1e-9)
        let values = converted.dequantized().scalars
        #expect(values[0...3].map { ($0 / converted.scales[0]).rounded() } == [50, -127, 1, 100])
        #expect(values[4...7].allSatisfy { $0 == 0 })
        #expect(values[8...11].map { ($0 / converted.scales[2]).rounded() } == [127, -127, 64, 0])  // 63.5 → 64 (ties to even)
    }

    private func linearInPrecision(_ precision: ComputePrecision, rows: Int, input: Int, output: Int, residual: Bool) -> (Tensor, Tensor, LowPrecisionWeight?) {
        let x = Tensor.normal([rows, input], seed: 11)
        let weight = Tensor.normal([output, input], std: 0.05, seed: 12)
        let bias = Tensor.normal([output], seed: 13)
        let addend = residual ? Tensor.normal([rows, output], seed: 14) : nil
        let cache = PackedWeightCache()
        cache.precision = precision
        let result = withNoGrad { linear(x, weight: weight, bias: bias, addingTo: addend, packing: cache) }
        let converted = cache.lowPrecisionWeight(for: weight)
        return (result, x, converted)
    }

    @Test("a bf16 linear layer equals the f32 product of bf16-rounded inputs and weights", arguments: [(3, 64, 48), (50, 768, 3072), (77, 512, 512)])
    func bf16Linear(shape: (Int, Int, Int)) throws {
        let (rows, input, output) = shape
        let (result, x, converted) = linearInPrecision(.bf16, rows: rows, input: input, output: output, residual: true)
        let weight = try #require(converted).dequantized()
        let roundedX = LowPrecisionWeight(converting: x.reshaped([1, -1]), to: .bf16).dequantized().reshaped(x.shape)
        let expected = withNoGrad {
            linear(roundedX, weight: weight, bias: Tensor.normal([output], seed: 13), addingTo: Tensor.normal([rows, output], seed: 14))
        }
        expectClose(result, expected, relativeTolerance: Self.summationTolerance, "bf16 linear \(shape)")
    }

    @Test("an int8 linear layer equals the dequantised integer product, and stays close to f32", arguments: [(3, 64, 48), (50, 768, 384)])
    func int8Linear(shape: (Int, Int, Int)) throws {
        let (rows, input, output) = shape
        let (result, x, converted) = linearInPrecision(.int8, rows: rows, input: input, output: output, residual: false)
        let weight = try #require(converted)
        // Per-token quantisation of x, as the kernel does it, then the exact product scaled back.
        let xs = x.scalars, dequantizedWeight = weight.dequantized().scalars, bias = Tensor.normal([output], seed: 13).scalars
        var expected = [Float](repeating: 0, count: rows * output)
        for row in 0..<rows {
            let line = xs[(row * input)..<((row + 1) * input)]
            let scale = line.map(abs).max()! / 127
            let quantized = line.map { ($0 / scale).rounded(.toNearestOrEven) }
            for column in 0..<output {
                var sum: Double = 0
                for p in 0..<input { sum += Double(quantized[quantized.startIndex + p]) * Double(dequantizedWeight[column * input + p] / weight.scales[column]).rounded() }
                expected[row * output + column] = Float(sum) * scale * weight.scales[column] + bias[column]
            }
        }
        expectClose(result.scalars, expected, tolerance: 1e-3 * (expected.map(abs).max() ?? 1), "int8 linear \(shape)")
        let f32 = withNoGrad { linear(x, weight: Tensor.normal([output, input], std: 0.05, seed: 12), bias: Tensor.normal([output], seed: 13)) }
        #expect(cosineSimilarity(result.scalars, f32.scalars) > 0.999)
    }

    @Test("a convolution in bf16 and int8 stays close to f32, and records no conversion while training")
    func lowPrecisionConvolution() {
        let input = Tensor.normal([2, 8, 9, 9], seed: 21)
        let weight = Tensor.normal([16, 8, 3, 3], std: 0.1, seed: 22)
        let f32 = withNoGrad { conv2d(input, weight: weight, stride: (2, 2), padding: (1, 1)) }
        for (precision, bound) in [(ComputePrecision.bf16, 0.9999), (.int8, 0.999)] {
            let cache = PackedWeightCache()
            cache.precision = precision
            let result = withNoGrad { conv2d(input, weight: weight, stride: (2, 2), padding: (1, 1), packing: cache) }
            #expect(result.shape == f32.shape)
            #expect(cosineSimilarity(result.scalars, f32.scalars) > bound, "\(precision)")
            #expect(cache.isFilled)
        }
        let trained = Tensor.normal([16, 8, 3, 3], std: 0.1, seed: 22).requiringGrad()
        let cache = PackedWeightCache()
        cache.precision = .int8
        _ = conv2d(input, weight: trained, packing: cache)
        #expect(!cache.isFilled)
    }

    @Test("precision names parse, CLIP_PRECISION is read, and auto follows the hardware")
    func precisionRequests() throws {
        #expect(PrecisionRequest("BF16") == .fixed(.bf16) && PrecisionRequest(" auto ") == .auto && PrecisionRequest("fp16") == nil)
        #expect(try PrecisionRequest.fromEnvironment(["CLIP_PRECISION": "int8"]) == .fixed(.int8))
        #expect(try PrecisionRequest.fromEnvironment([:]) == nil)
        #expect(throws: TensorError.self) { try PrecisionRequest.fromEnvironment(["CLIP_PRECISION": "half"]) }
        #expect(PrecisionRequest.auto.resolved(on: PrecisionHardware(isa: 0x7)) == .f32)             // AVX2
        #expect(PrecisionRequest.auto.resolved(on: PrecisionHardware(isa: 0x67)) == .int8)            // AVX-512 VNNI
        #expect(PrecisionRequest.auto.resolved(on: PrecisionHardware(isa: 0x3e7)) == .int8)           // AMX
        #expect(PrecisionHardware(isa: 0xe7).accelerates(.bf16) && !PrecisionHardware(isa: 0x27).accelerates(.bf16))
    }
}
