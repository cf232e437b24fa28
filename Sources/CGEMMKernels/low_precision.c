// bfloat16 conversion, per-row int8 quantisation and an exact int8·int8 product (see CGEMMKernels.h).
#include "CGEMMKernels.h"

#include <math.h>
#include <string.h>

static uint16_t bf16_from_f32(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x0040u);  // quiet NaN
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

void clip_bf16_from_f32(const float *values, uint16_t *bits, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) bits[i] = bf16_from_f32(values[i]);
}

void clip_f32_from_bf16(const uint16_t *bits, float *values, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) {
        const uint32_t wide = (uint32_t)bits[i] << 16;
        memcpy(values + i, &wide, sizeof wide);
    }
}

void clip_round_to_bf16(const float *values, float *rounded, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) {
        const uint32_t wide = (uint32_t)bf16_from_f32(values[i]) << 16;
        memcpy(rounded + i, &wide, sizeof wide);
    }
}

void clip_quantize_rows_s8(const float *x, ptrdiff_t rows, ptrdiff_t k, ptrdiff_t ld, int8_t *q, float *scales) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *row = x + r * ld;
        float largest = 0;
        for (ptrdiff_t p = 0; p < k; p++) largest = fmaxf(largest, fabsf(row[p]));
        const float scale = largest > 0 && isfinite(largest) ? largest / 127.0f : 1.0f;
        const float inverse = 1.0f / scale;
        int8_t *out = q + r * k;
        for (ptrdiff_t p = 0; p < k; p++) {
            float v = nearbyintf(row[p] * inverse);   // the default rounding mode: ties to even
            v = v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v == v ? v : 0.0f;
            out[p] = (int8_t)v;
        }
        scales[r] = scale;
    }
}

static void gemm_s8s8s32_portable(ptrdiff_t m, ptrdiff_t k, const int8_t *a, ptrdiff_t lda, const int8_t *b, ptrdiff_t ldb,
                                  ptrdiff_t column_begin, ptrdiff_t column_end, int32_t *c, ptrdiff_t ldc) {
    for (ptrdiff_t i = 0; i < m; i++) {
        for (ptrdiff_t j = column_begin; j < column_end; j++) {
            int32_t sum = 0;
            for (ptrdiff_t p = 0; p < k; p++) sum += (int32_t)a[i * lda + p] * (int32_t)b[j * ldb + p];
            c[i * ldc + j] = sum;
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define AVX2_INT8 __attribute__((target("avx2")))

static AVX2_INT8 inline int32_t sum_lanes(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

// A tile of ROWS rows by COLS columns. Each run of 16 int8 values is widened to int16 and multiplied
// pairwise into int32 (vpmaddwd): |a·b + a'·b'| ≤ 2·128² fits, so nothing saturates.
#define INT8_TILE(ROWS, COLS)                                                                                         \
    static AVX2_INT8 void tile_##ROWS##x##COLS(ptrdiff_t k, const int8_t *a, ptrdiff_t lda, const int8_t *b,         \
                                               ptrdiff_t ldb, int32_t *c, ptrdiff_t ldc) {                             \
        __m256i acc[ROWS][COLS];                                                                                      \
        for (int r = 0; r < ROWS; r++)                                                                                \
            for (int j = 0; j < COLS; j++) acc[r][j] = _mm256_setzero_si256();                                        \
        ptrdiff_t p = 0;                                                                                              \
        for (; p + 16 <= k; p += 16) {                                                                                \
            __m256i rows[ROWS];                                                                                       \
            for (int r = 0; r < ROWS; r++)                                                                            \
                rows[r] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + r * lda + p)));                 \
            for (int j = 0; j < COLS; j++) {                                                                          \
                const __m256i column = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + j * ldb + p)));    \
                for (int r = 0; r < ROWS; r++)                                                                        \
                    acc[r][j] = _mm256_add_epi32(acc[r][j], _mm256_madd_epi16(rows[r], column));                      \
            }                                                                                                         \
        }                                                                                                             \
        for (int r = 0; r < ROWS; r++) {                                                                              \
            for (int j = 0; j < COLS; j++) {                                                                          \
                int32_t sum = sum_lanes(acc[r][j]);                                                                   \
                for (ptrdiff_t q = p; q < k; q++) sum += (int32_t)a[r * lda + q] * (int32_t)b[j * ldb + q];          \
                c[r * ldc + j] = sum;                                                                                 \
            }                                                                                                         \
        }                                                                                                             \
    }

INT8_TILE(2, 4)
INT8_TILE(2, 1)
INT8_TILE(1, 4)
INT8_TILE(1, 1)

static AVX2_INT8 void gemm_s8s8s32_avx2(ptrdiff_t m, ptrdiff_t k, const int8_t *a, ptrdiff_t lda, const int8_t *b, ptrdiff_t ldb,
                                        ptrdiff_t column_begin, ptrdiff_t column_end, int32_t *c, ptrdiff_t ldc) {
    // Blocks of 64 columns keep their weight rows in cache while every row of A passes by.
    for (ptrdiff_t block = column_begin; block < column_end; block += 64) {
        const ptrdiff_t block_end = block + 64 < column_end ? block + 64 : column_end;
        ptrdiff_t i = 0;
        for (; i + 2 <= m; i += 2) {
            ptrdiff_t j = block;
            for (; j + 4 <= block_end; j += 4) tile_2x4(k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc);
            for (; j < block_end; j++) tile_2x1(k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc);
        }
        for (; i < m; i++) {
            ptrdiff_t j = block;
            for (; j + 4 <= block_end; j += 4) tile_1x4(k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc);
            for (; j < block_end; j++) tile_1x1(k, a + i * lda, lda, b + j * ldb, ldb, c + i * ldc + j, ldc);
        }
    }
}

static int has_avx2(void) { return __builtin_cpu_supports("avx2"); }
#else
static int has_avx2(void) { return 0; }
#endif

void clip_gemm_s8s8s32(ptrdiff_t m, ptrdiff_t k, const int8_t *a, ptrdiff_t lda, const int8_t *b, ptrdiff_t ldb,
                       ptrdiff_t column_begin, ptrdiff_t column_end, int32_t *c, ptrdiff_t ldc) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (has_avx2()) {
        gemm_s8s8s32_avx2(m, k, a, lda, b, ldb, column_begin, column_end, c, ldc);
        return;
    }
#endif
    gemm_s8s8s32_portable(m, k, a, lda, b, ldb, column_begin, column_end, c, ldc);
}

const char *clip_gemm_s8s8s32_kernel(void) { return has_avx2() ? "avx2" : "portable"; }
