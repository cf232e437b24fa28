// Matrix kernels for products with few rows (one image of 50 tokens, or a short text, through a
// linear layer), and dot products of single vectors for graph search (vector_dot.c). BLAS libraries
// repack the weight matrix on every call, which for so few rows costs about as much as the multiplication; these kernels read a weight packed once, ahead of time.
//
// The product is C = beta·C + A·Bᵀ with A [m, k] (activations) and B [n, k] (a linear layer's
// [out, in] weight), all row-major. B is packed into panels of CLIP_PANEL_COLUMNS output columns,
// each laid out [k][CLIP_PANEL_COLUMNS] (the last panel zero-padded); A is packed per call into row
// tiles of at most CLIP_TILE_ROWS rows, each laid out [k][rows].
#ifndef CGEMMKERNELS_H
#define CGEMMKERNELS_H

#include <stddef.h>
#include <stdint.h>

#define CLIP_PANEL_COLUMNS 32
#define CLIP_TILE_ROWS 12

/// 1 when this CPU runs the packed kernels (x86-64 with AVX-512F), else 0.
int clip_packed_gemm_available(void);

/// Floats needed to pack an [n, k] matrix B.
ptrdiff_t clip_packed_b_count(ptrdiff_t n, ptrdiff_t k);

/// Packs B ([n, k], row stride ldb) into `packed` (clip_packed_b_count floats, 64-byte aligned).
void clip_pack_b(ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb, float *packed);

/// Packs A ([m, k], row stride lda) into `packed` (m·k floats).
void clip_pack_a(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, float *packed);

/// C[i][j] = beta·C[i][j] + Σₚ A[i][p]·B[j][p] for i < m and the columns of panels
/// [panel_begin, panel_end); n is B's row count (the last panel stops there). beta is 0 or 1.
/// Runs on the calling thread; callers split the panels over threads.
void clip_packed_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *packed_a, const float *packed_b,
                      ptrdiff_t panel_begin, ptrdiff_t panel_end, float beta, float *c, ptrdiff_t ldc);

/// Σᵢ row[i]·query[i] for a stored row of n IEEE half-precision values (as bits) and a float32
/// query, with the widest SIMD this CPU has (vector_dot.c).
float clip_dot_f16(const uint16_t *row, const float *query, ptrdiff_t n);

/// scores[r] = rows[r] · query for `count` consecutive float16 rows of n values (an exact scan:
/// each row is widened in registers as it streams by, never stored as float32).
void clip_dot_rows_f16(const uint16_t *rows, ptrdiff_t count, ptrdiff_t n, const float *query, float *scores);

/// Starts loading the two cache lines at `address` (a row about to be scored).
static inline void clip_prefetch(const void *address) {
    __builtin_prefetch(address);
    __builtin_prefetch((const char *)address + 64);
}

/// Σᵢ row[i]·query[i] for float32 vectors of n values.
float clip_dot_f32(const float *row, const float *query, ptrdiff_t n);

// Low-precision kernels (low_precision.c): bfloat16 conversion, per-row int8 quantisation, and an
// exact int8 product for CPUs whose oneDNN int8 path would saturate (no VNNI).

/// bits[i] = the bfloat16 nearest to values[i] (ties to even, NaN stays NaN), as torch rounds.
void clip_bf16_from_f32(const float *values, uint16_t *bits, ptrdiff_t count);

/// values[i] = bits[i] widened to float32 (exact).
void clip_f32_from_bf16(const uint16_t *bits, float *values, ptrdiff_t count);

/// values[i] rounded to the nearest bfloat16, kept as float32 (the low 16 bits zero).
void clip_round_to_bf16(const float *values, float *rounded, ptrdiff_t count);

/// Symmetric int8 quantisation of each of `rows` rows of k values (row stride ld):
/// scales[r] = max|x| / 127 (1 for an all-zero row), q = round-half-even(x / scales[r]) in [-127, 127].
void clip_quantize_rows_s8(const float *x, ptrdiff_t rows, ptrdiff_t k, ptrdiff_t ld, int8_t *q, float *scales);

/// C[i][j] = Σₚ A[i][p]·B[j][p] in exact 32-bit integer arithmetic, for i < m and j in
/// [column_begin, column_end): A [m, k] and B [n, k] int8, row-major with row strides lda and ldb;
/// C int32 with row stride ldc. AVX2 where the CPU has it (16-bit products widened, never
/// saturated), else portable C. Runs on the calling thread.
void clip_gemm_s8s8s32(ptrdiff_t m, ptrdiff_t k, const int8_t *a, ptrdiff_t lda, const int8_t *b, ptrdiff_t ldb,
                       ptrdiff_t column_begin, ptrdiff_t column_end, int32_t *c, ptrdiff_t ldc);

/// The kernel clip_gemm_s8s8s32 runs on this CPU: "avx2" or "portable".
const char *clip_gemm_s8s8s32_kernel(void);

#endif
