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

#endif
