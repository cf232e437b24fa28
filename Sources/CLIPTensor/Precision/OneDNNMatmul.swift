#if canImport(CDNNL)
import CDNNL
#endif
import Foundation

/// oneDNN matmul primitives for the low-precision products, `C[m, n] (+)= A[m, k] · B[n, k]ᵀ`:
/// bf16 · bf16 → f32 (accumulating onto C with a sum post-op when asked) and s8 · s8 → s32.
///
/// Primitives are created once per shape and kept; each call runs on the calling thread alone
/// (OpenMP set to one thread there), since `GEMM` splits the columns over swift-clip's own threads.
enum OneDNNMatmul {
    /// The operand types of a product.
    enum Kind: Hashable {
        /// bf16 inputs, f32 output.
        case bf16
        /// s8 inputs, s32 output (exact).
        case int8
    }

    #if canImport(CDNNL)
    private struct Key: Hashable {
        let kind: Kind, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int, accumulate: Bool
    }

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var primitives: [Key: dnnl_primitive_t] = [:]
        let engine: dnnl_engine_t? = {
            var engine: dnnl_engine_t?
            return dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success ? engine : nil
        }()
    }

    /// Shapes beyond this many are dropped all at once (batches of every size seen by a server).
    private static let cacheLimit = 512
    private static let cache = Cache()

    private static func types(_ kind: Kind) -> (input: dnnl_data_type_t, output: dnnl_data_type_t) {
        switch kind {
        case .bf16: return (dnnl_bf16, dnnl_f32)
        case .int8: return (dnnl_s8, dnnl_s32)
        }
    }

    /// A primitive descriptor for `key`, or nil where oneDNN has no implementation.
    private static func descriptor(_ key: Key, engine: dnnl_engine_t) -> dnnl_primitive_desc_t? {
        let (input, output) = types(key.kind)
        var source = dnnl_memory_desc_t(), weights = dnnl_memory_desc_t(), destination = dnnl_memory_desc_t()
        guard dnnl_memory_desc_init_by_strides(&source, 2, [Int64(key.m), Int64(key.k)], input, [Int64(key.lda), 1]) == dnnl_success,
              dnnl_memory_desc_init_by_strides(&weights, 2, [Int64(key.k), Int64(key.n)], input, [1, Int64(key.ldb)]) == dnnl_success,
              dnnl_memory_desc_init_by_strides(&destination, 2, [Int64(key.m), Int64(key.n)], output, [Int64(key.ldc), 1]) == dnnl_success
        else { return nil }
        var description = dnnl_matmul_desc_t()
        guard dnnl_matmul_desc_init(&description, &source, &weights, nil, &destination) == dnnl_success else { return nil }
        var attributes: dnnl_primitive_attr_t?
        guard dnnl_primitive_attr_create(&attributes) == dnnl_success else { return nil }
        defer { dnnl_primitive_attr_destroy(attributes) }
        if key.accumulate {
            var postOps: dnnl_post_ops_t?
            guard dnnl_post_ops_create(&postOps) == dnnl_success else { return nil }
            defer { dnnl_post_ops_destroy(postOps) }
            guard dnnl_post_ops_append_sum(postOps, 1) == dnnl_success,
                  dnnl_primitive_attr_set_post_ops(attributes, postOps) == dnnl_success else { return nil }
        }
        var primitiveDescriptor: dnnl_primitive_desc_t?
        let status = withUnsafePointer(to: &description) {
            dnnl_primitive_desc_create(&primitiveDescriptor, UnsafeRawPointer($0), attributes, engine, nil)
        }
        return status == dnnl_success ? primitiveDescriptor : nil
    }

    private static func primitive(_ key: Key) -> dnnl_primitive_t? {
        cache.lock.lock()
        defer { cache.lock.unlock() }
        if let primitive = cache.primitives[key] { return primitive }
        guard let engine = cache.engine, let descriptor = descriptor(key, engine: engine) else { return nil }
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var primitive: dnnl_primitive_t?
        guard dnnl_primitive_create(&primitive, descriptor) == dnnl_success, let primitive else { return nil }
        if cache.primitives.count >= cacheLimit {
            cache.primitives.values.forEach { dnnl_primitive_destroy($0) }
            cache.primitives.removeAll()
        }
        cache.primitives[key] = primitive
        return primitive
    }
    #endif

    /// oneDNN's implementation name for a typical product of `kind` (ViT-B/32's MLP at one image),
    /// such as `brg:avx512_core_amx_int8`; nil where oneDNN has none.
    static func implementation(of kind: Kind) -> String? {
        #if canImport(CDNNL)
        guard let engine = cache.engine else { return nil }
        let key = Key(kind: kind, m: 50, n: 3072, k: 768, lda: 768, ldb: 768, ldc: 3072, accumulate: kind == .bf16)
        guard let descriptor = descriptor(key, engine: engine) else { return nil }
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return nil }
        return String(cString: name)
        #else
        return nil
        #endif
    }

    /// Whether oneDNN has a non-reference implementation for `kind` on this CPU.
    static func isOptimized(_ kind: Kind) -> Bool {
        guard let name = implementation(of: kind) else { return false }
        return !name.hasPrefix("ref")
    }

    /// `C (+)= A · Bᵀ` on the calling thread: A `[m, k]` (row stride lda), B `[n, k]` (row stride ldb),
    /// C `[m, n]` (row stride ldc), element types as `kind`. Returns false where oneDNN cannot run it.
    static func multiply(_ kind: Kind, m: Int, n: Int, k: Int, a: UnsafeRawPointer, lda: Int, b: UnsafeRawPointer, ldb: Int,
                         c: UnsafeMutableRawPointer, ldc: Int, accumulate: Bool) -> Bool {
        #if canImport(CDNNL)
        let key = Key(kind: kind, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, accumulate: accumulate)
        guard let engine = cache.engine, let primitive = primitive(key) else { return false }
        OneDNNThreads.useOneThreadHere()
        var descriptor: const_dnnl_primitive_desc_t?
        guard dnnl_primitive_get_primitive_desc(primitive, &descriptor) == dnnl_success else { return false }
        var memories: [dnnl_memory_t?] = []
        defer { memories.forEach { dnnl_memory_destroy($0) } }
        for (query, pointer) in [(dnnl_query_src_md, UnsafeMutableRawPointer(mutating: a)),
                                 (dnnl_query_weights_md, UnsafeMutableRawPointer(mutating: b)), (dnnl_query_dst_md, c)] {
            guard let md = dnnl_primitive_desc_query_md(descriptor, query, 0) else { return false }
            var memory: dnnl_memory_t?
            guard dnnl_memory_create(&memory, md, engine, pointer) == dnnl_success else { return false }
            memories.append(memory)
        }
        var stream: dnnl_stream_t?
        guard dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success else { return false }
        defer { dnnl_stream_destroy(stream) }
        let arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: memories[0]),
                         dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: memories[1]),
                         dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: memories[2])]
        guard dnnl_primitive_execute(primitive, stream, Int32(arguments.count), arguments) == dnnl_success else { return false }
        return dnnl_stream_wait(stream) == dnnl_success
        #else
        return false
        #endif
    }
}

/// oneDNN threads with OpenMP, whose thread count is per calling thread: every thread that calls
/// oneDNN is set to one OpenMP thread the first time, so that all parallelism comes from
/// swift-clip's own fan-out.
enum OneDNNThreads {
    #if canImport(CDNNL)
    private static let configuredKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
    #endif

    /// Sets the calling thread's OpenMP team to one thread, once per thread.
    static func useOneThreadHere() {
        #if canImport(CDNNL)
        if pthread_getspecific(configuredKey) == nil {
            omp_set_num_threads(1)
            pthread_setspecific(configuredKey, UnsafeRawPointer(bitPattern: 1))
        }
        #endif
    }
}
