/// SIMD building blocks for the kernels.
///
/// Written to avoid the operations that compile to per-lane library calls on x86 (see
/// shared/notes/swift-on-linux.md §3): no `.rounded()`, `clamped`, `pointwiseMin/Max` or
/// float-to-int conversions; rounding uses the 1.5·2²³ trick and lane selection uses `replace`.
typealias Vec = SIMD16<Float>

let vecWidth = Vec.scalarCount

@inline(__always) func loadVec(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always) func storeVec(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}

/// Loads the last `count < 16` elements, filling the other lanes with `padding`.
@inline(__always) func loadPartialVec(_ p: UnsafePointer<Float>, _ count: Int, padding: Float = 0) -> Vec {
    var v = Vec(repeating: padding)
    for i in 0..<count { v[i] = p[i] }
    return v
}

@inline(__always) func storePartialVec(_ v: Vec, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { p[i] = v[i] }
}

/// e^x with about 1 ulp error on [-87.3, 88.3]; 0 below that range, +inf above.
@_transparent func vexp(_ x0: Vec) -> Vec {
    var x = x0
    x.replace(with: Vec(repeating: 88.3), where: x .> 88.3)
    var result = vexpNonPositive(x)
    result.replace(with: Vec(repeating: .infinity), where: x0 .> 88.3)
    return result
}

/// e^x for x ≤ 88.3 (callers guarantee the upper bound); 0 below −87.3.
///
/// Cody–Waite range reduction x = n·ln2 + r, a degree-6 polynomial for e^r, and 2^n built in the
/// exponent bits. Multiply-adds use `addingProduct`, which becomes one FMA instruction when the
/// build targets a CPU with FMA (the Makefile's release builds do).
@_transparent func vexpNonPositive(_ x0: Vec) -> Vec {
    var x = x0
    x.replace(with: Vec(repeating: -87.3), where: x .< -87.3)
    // n = round(x / ln 2), by adding and subtracting 1.5·2²³.
    let shifted = Vec(repeating: 12_582_912.0).addingProduct(x, 1.442_695_040_888_963_4)
    let n = shifted - 12_582_912.0
    var r = x.addingProduct(n, -0.693_359_375)
    r = r.addingProduct(n, 2.121_944_400_546_905_8e-4)
    var p = Vec(repeating: 1.987_569_150_0e-4)
    p = Vec(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
    p = Vec(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
    p = Vec(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
    p = Vec(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
    p = Vec(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
    p = r.addingProduct(p, r * r) + 1
    // 2^n from the integer bits of `shifted`.
    let exponent = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
    var result = p * unsafeBitCast((exponent &+ 127) &<< 23, to: Vec.self)
    result.replace(with: Vec(repeating: 0), where: x0 .< -87.3)
    return result
}

/// 1/x for finite x ≥ 1, to within an ulp or two, without a division.
///
/// A division is the slowest instruction in GELU's loop (one `vdivps` per 16 lanes cost as much as
/// the rest of the erf); a bit-level first guess refined by three Newton steps (relative error
/// 5%, then 2.5e-3, 6e-6, below float precision) runs in seven cheap operations.
@_transparent func vreciprocalOfAtLeastOne(_ x: Vec) -> Vec {
    var y = unsafeBitCast(0x7EF3_11C3 &- unsafeBitCast(x, to: SIMD16<UInt32>.self), to: Vec.self)
    let two = Vec(repeating: 2)
    y = y * two.addingProduct(-x, y)
    y = y * two.addingProduct(-x, y)
    y = y * two.addingProduct(-x, y)
    return y
}

/// |x|, by clearing the sign bits.
@_transparent func vabs(_ x: Vec) -> Vec {
    unsafeBitCast(unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: Vec.self)
}

/// 1 / (1 + e^−x), saturating cleanly at both ends.
@_transparent func vsigmoid(_ x: Vec) -> Vec {
    1 / (1 + vexp(-x))
}

/// The logistic-sigmoid factor of QuickGELU (`x · σ(1.702 x)`, OpenAI CLIP's activation).
let quickGELUSlope: Float = 1.702

/// For z = x/√2: returns q = ½·erfc(|z|), so that Φ(x) = 1 − q for x ≥ 0 and q for x < 0.
///
/// Abramowitz & Stegun 7.1.26 (absolute error of erf ≤ 1.5e-7). Computing erfc from the tail keeps
/// Φ(x) relatively accurate for negative x, where 1 + erf would cancel.
@_transparent func vhalfErfcAbs(_ z: Vec) -> Vec {
    let a = vabs(z)
    let t = vreciprocalOfAtLeastOne(Vec(repeating: 1).addingProduct(a, 0.327_591_1))
    var poly = Vec(repeating: 1.061_405_429)
    poly = Vec(repeating: -1.453_152_027).addingProduct(poly, t)
    poly = Vec(repeating: 1.421_413_741).addingProduct(poly, t)
    poly = Vec(repeating: -0.284_496_736).addingProduct(poly, t)
    poly = Vec(repeating: 0.254_829_592).addingProduct(poly, t)
    return (0.5 * poly * t) * vexpNonPositive(-(a * a))
}

/// Φ(x), the standard normal cumulative distribution.
@_transparent func vnormalCDF(_ x: Vec) -> Vec {
    let q = vhalfErfcAbs(x * 0.707_106_781_186_547_5)
    var phi = 1 - q
    phi.replace(with: q, where: x .< 0)
    return phi
}

/// Horizontal sum, written as a tree of adds (`.sum()` is scalarised on some targets).
@inline(__always) func horizontalSum(_ v: Vec) -> Float {
    let a = v.lowHalf + v.highHalf
    let b = a.lowHalf + a.highHalf
    let c = b.lowHalf + b.highHalf
    return c[0] + c[1]
}

/// Horizontal maximum.
@inline(__always) func horizontalMax(_ v: Vec) -> Float {
    var a = v.lowHalf
    a.replace(with: v.highHalf, where: v.highHalf .> a)
    var b = a.lowHalf
    b.replace(with: a.highHalf, where: a.highHalf .> b)
    var c = b.lowHalf
    c.replace(with: b.highHalf, where: b.highHalf .> c)
    return Swift.max(c[0], c[1])
}

/// Applies `transform` to `count` floats from `input` into `output`, 16 at a time; the tail goes
/// through the same SIMD function so every element sees identical arithmetic.
///
/// For small closures called on the spot. Larger functions, and any that cross a thread fan-out,
/// go through the `VectorFunction` overload below, which is sure to inline. (Wrapping the closure
/// into that overload instead of repeating the loop costs a retain/release per call, measured
/// 1.8× slower on 50-wide softmax rows.)
@inline(__always) func mapVectors(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                                  _ count: Int, _ transform: (Vec) -> Vec) {
    var i = 0
    while i + vecWidth <= count {
        storeVec(transform(loadVec(input + i)), output + i)
        i += vecWidth
    }
    if i < count {
        storePartialVec(transform(loadPartialVec(input + i, count - i)), output + i, count - i)
    }
}

/// Like `mapVectors` with two inputs.
@inline(__always) func mapVectors(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                  _ output: UnsafeMutablePointer<Float>, _ count: Int,
                                  _ transform: (Vec, Vec) -> Vec) {
    var i = 0
    while i + vecWidth <= count {
        storeVec(transform(loadVec(a + i), loadVec(b + i)), output + i)
        i += vecWidth
    }
    if i < count {
        let rest = count - i
        storePartialVec(transform(loadPartialVec(a + i, rest), loadPartialVec(b + i, rest)), output + i, rest)
    }
}

/// Applies `f` to `count` floats from `input` into `output`, 16 at a time; the tail goes through the
/// same SIMD function so every element sees identical arithmetic.
@inline(__always) func mapVectors<F: VectorFunction>(_ f: F, _ input: UnsafePointer<Float>,
                                                      _ output: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i + vecWidth <= count {
        storeVec(f(loadVec(input + i)), output + i)
        i += vecWidth
    }
    if i < count {
        storePartialVec(f(loadPartialVec(input + i, count - i)), output + i, count - i)
    }
}

/// Applies `f` elementwise to `a` and `b` into `output`.
@inline(__always) func mapVectors<F: VectorFunction2>(_ f: F, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                                       _ output: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i + vecWidth <= count {
        storeVec(f(loadVec(a + i), loadVec(b + i)), output + i)
        i += vecWidth
    }
    if i < count {
        let rest = count - i
        storePartialVec(f(loadPartialVec(a + i, rest), loadPartialVec(b + i, rest)), output + i, rest)
    }
}
