// The packed few-row GEMM (see CGEMMKernels.h for the layouts).
//
// A tile of up to 12 rows × one 32-column panel keeps 24 vector accumulators in registers: each
// step along k loads two vectors of the panel and broadcasts one value per row. Depth blocks of
// at most DEPTH_BLOCK keep the panel's block and the row tile's block in L1 while the tile loop
// runs over them. Meanwhile the tiles prefetch the next panel's block into L2, each its share,
// spread over its steps, so the weight streams from memory while the arithmetic runs: prefetching
// it all from the first tile stalled on the memory queue (50×3072×768 one-threaded: 91 against 118
// GFLOP/s spread).
#include "CGEMMKernels.h"

#define DEPTH_BLOCK 512

static ptrdiff_t tile_count(ptrdiff_t m) { return (m + CLIP_TILE_ROWS - 1) / CLIP_TILE_ROWS; }

/// Row tiles share the rows evenly (50 rows: five tiles of 10), so none is left nearly empty.
static ptrdiff_t tile_start(ptrdiff_t m, ptrdiff_t tile) { return m * tile / tile_count(m); }

ptrdiff_t clip_packed_b_count(ptrdiff_t n, ptrdiff_t k) {
    return (n + CLIP_PANEL_COLUMNS - 1) / CLIP_PANEL_COLUMNS * CLIP_PANEL_COLUMNS * k;
}

void clip_pack_b(ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb, float *packed) {
    for (ptrdiff_t j0 = 0; j0 < n; j0 += CLIP_PANEL_COLUMNS) {
        float *panel = packed + j0 * k;
        const ptrdiff_t width = n - j0 < CLIP_PANEL_COLUMNS ? n - j0 : CLIP_PANEL_COLUMNS;
        for (ptrdiff_t j = 0; j < CLIP_PANEL_COLUMNS; j++) {
            const float *row = b + (j0 + j) * ldb;
            for (ptrdiff_t p = 0; p < k; p++) panel[p * CLIP_PANEL_COLUMNS + j] = j < width ? row[p] : 0.0f;
        }
    }
}

void clip_pack_a(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, float *packed) {
    for (ptrdiff_t t = 0; t < tile_count(m); t++) {
        const ptrdiff_t r0 = tile_start(m, t), rows = tile_start(m, t + 1) - r0;
        float *tile = packed + r0 * k;
        for (ptrdiff_t r = 0; r < rows; r++) {
            const float *row = a + (r0 + r) * lda;
            for (ptrdiff_t p = 0; p < k; p++) tile[p * rows + r] = row[p];
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

int clip_packed_gemm_available(void) { return __builtin_cpu_supports("avx512f") ? 1 : 0; }

/// One row tile × one panel over one depth block. `a` is the tile's block ([depth][rows]), `b` the
/// panel's block ([depth][32]); `upcoming`, when not NULL, is where this tile's share of the next
/// panel's block starts: one step of it is prefetched every `every` steps.
static inline AVX512 __attribute__((always_inline))
void packed_tile(const int rows, ptrdiff_t depth, const float *a, const float *b, const float *upcoming,
                 int every, int columns, float beta, float *c, ptrdiff_t ldc) {
    const __mmask16 low = columns >= 16 ? 0xffff : (__mmask16)((1u << columns) - 1u);
    const __mmask16 high = columns <= 16 ? 0 : columns >= 32 ? 0xffff : (__mmask16)((1u << (columns - 16)) - 1u);
    __m512 left[CLIP_TILE_ROWS], right[CLIP_TILE_ROWS];
    for (int r = 0; r < rows; r++) {
        left[r] = beta == 0.0f ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(low, c + r * ldc);
        right[r] = beta == 0.0f ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(high, c + r * ldc + 16);
    }
    int countdown = every;
    for (ptrdiff_t p = 0; p < depth; p++) {
        if (upcoming && --countdown == 0) {
            countdown = every;
            _mm_prefetch((const char *)upcoming, _MM_HINT_T1);
            _mm_prefetch((const char *)(upcoming + 16), _MM_HINT_T1);
            upcoming += CLIP_PANEL_COLUMNS;
        }
        const __m512 b0 = _mm512_load_ps(b + p * CLIP_PANEL_COLUMNS);
        const __m512 b1 = _mm512_load_ps(b + p * CLIP_PANEL_COLUMNS + 16);
        for (int r = 0; r < rows; r++) {
            const __m512 value = _mm512_set1_ps(a[p * rows + r]);
            left[r] = _mm512_fmadd_ps(value, b0, left[r]);
            right[r] = _mm512_fmadd_ps(value, b1, right[r]);
        }
    }
    for (int r = 0; r < rows; r++) {
        _mm512_mask_storeu_ps(c + r * ldc, low, left[r]);
        _mm512_mask_storeu_ps(c + r * ldc + 16, high, right[r]);
    }
}

typedef void (*packed_tile_fn)(ptrdiff_t, const float *, const float *, const float *, int, int, float, float *, ptrdiff_t);

#define DEFINE_TILE(R) \
    static AVX512 void packed_tile_##R(ptrdiff_t depth, const float *a, const float *b, const float *upcoming, \
                                       int every, int columns, float beta, float *c, ptrdiff_t ldc) { \
        packed_tile(R, depth, a, b, upcoming, every, columns, beta, c, ldc); \
    }
DEFINE_TILE(1) DEFINE_TILE(2) DEFINE_TILE(3) DEFINE_TILE(4) DEFINE_TILE(5) DEFINE_TILE(6)
DEFINE_TILE(7) DEFINE_TILE(8) DEFINE_TILE(9) DEFINE_TILE(10) DEFINE_TILE(11) DEFINE_TILE(12)

static const packed_tile_fn packed_tiles[CLIP_TILE_ROWS] = {
    packed_tile_1, packed_tile_2, packed_tile_3, packed_tile_4, packed_tile_5, packed_tile_6,
    packed_tile_7, packed_tile_8, packed_tile_9, packed_tile_10, packed_tile_11, packed_tile_12,
};

void clip_packed_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *packed_a, const float *packed_b,
                      ptrdiff_t panel_begin, ptrdiff_t panel_end, float beta, float *c, ptrdiff_t ldc) {
    const ptrdiff_t blocks = (k + DEPTH_BLOCK - 1) / DEPTH_BLOCK;
    const ptrdiff_t depth = blocks == 0 ? 0 : (k + blocks - 1) / blocks;
    const ptrdiff_t tiles = tile_count(m);
    const ptrdiff_t panel_floats = CLIP_PANEL_COLUMNS * k;
    for (ptrdiff_t panel = panel_begin; panel < panel_end; panel++) {
        const ptrdiff_t j0 = panel * CLIP_PANEL_COLUMNS;
        const int columns = (int)(n - j0 < CLIP_PANEL_COLUMNS ? n - j0 : CLIP_PANEL_COLUMNS);
        const float *b = packed_b + panel * panel_floats;
        for (ptrdiff_t p0 = 0; p0 < k; p0 += depth) {
            const ptrdiff_t span = k - p0 < depth ? k - p0 : depth;
            const float *upcoming = panel + 1 < panel_end ? b + panel_floats + p0 * CLIP_PANEL_COLUMNS : NULL;
            // Every tile prefetches its share of the next panel's block, one step every `tiles` steps.
            const ptrdiff_t share = (span + tiles - 1) / tiles;
            for (ptrdiff_t t = 0; t < tiles; t++) {
                const ptrdiff_t r0 = tile_start(m, t), rows = tile_start(m, t + 1) - r0;
                const ptrdiff_t first = t * share;
                const float *mine = upcoming && first < span ? upcoming + first * CLIP_PANEL_COLUMNS : NULL;
                const int every = (int)(span / share > 0 ? span / share : 1);
                packed_tiles[rows - 1](span, packed_a + r0 * k + p0 * rows, b + p0 * CLIP_PANEL_COLUMNS,
                                       mine, every, columns, p0 == 0 ? beta : 1.0f, c + r0 * ldc + j0, ldc);
            }
        }
    }
}

#else

int clip_packed_gemm_available(void) { return 0; }

void clip_packed_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *packed_a, const float *packed_b,
                      ptrdiff_t panel_begin, ptrdiff_t panel_end, float beta, float *c, ptrdiff_t ldc) {
    for (ptrdiff_t t = 0; t < tile_count(m); t++) {
        const ptrdiff_t r0 = tile_start(m, t), rows = tile_start(m, t + 1) - r0;
        for (ptrdiff_t r = 0; r < rows; r++)
            for (ptrdiff_t j = panel_begin * CLIP_PANEL_COLUMNS; j < n && j < panel_end * CLIP_PANEL_COLUMNS; j++) {
                const float *panel = packed_b + j / CLIP_PANEL_COLUMNS * CLIP_PANEL_COLUMNS * k;
                float sum = 0;
                for (ptrdiff_t p = 0; p < k; p++)
                    sum += packed_a[r0 * k + p * rows + r] * panel[p * CLIP_PANEL_COLUMNS + j % CLIP_PANEL_COLUMNS];
                float *out = c + (r0 + r) * ldc + j;
                *out = beta == 0.0f ? sum : *out + sum;
            }
    }
}

#endif
