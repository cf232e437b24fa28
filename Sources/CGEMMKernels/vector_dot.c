// Dot products of one stored vector (float16 or float32) with a float32 query, for graph searches
// that score one row at a time. The widest kernel this CPU runs is chosen once, at first use:
// AVX-512F, else AVX2 with F16C and FMA, else portable C.
#include "CGEMMKernels.h"

#include <string.h>

static float half_to_float(uint16_t half) {
    const uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t exponent = (half >> 10) & 0x1fu, mantissa = half & 0x3ffu, bits;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {
        // Subnormal: shift the mantissa up until its leading one is the implicit bit.
        exponent = 113;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            exponent--;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static float dot_f16_portable(const uint16_t *row, const float *query, ptrdiff_t n) {
    float sum = 0;
    for (ptrdiff_t i = 0; i < n; i++) sum += half_to_float(row[i]) * query[i];
    return sum;
}

static float dot_f32_portable(const float *row, const float *query, ptrdiff_t n) {
    float sum = 0;
    for (ptrdiff_t i = 0; i < n; i++) sum += row[i] * query[i];
    return sum;
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define AVX512_DOT __attribute__((target("avx512f")))
#define AVX2_DOT __attribute__((target("avx2,f16c,fma")))

static AVX512_DOT float dot_f16_avx512(const uint16_t *row, const float *query, ptrdiff_t n) {
    __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
    ptrdiff_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + i))), _mm512_loadu_ps(query + i), a);
        b = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + i + 16))), _mm512_loadu_ps(query + i + 16), b);
    }
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(a, b));
    for (; i < n; i++) sum += half_to_float(row[i]) * query[i];
    return sum;
}

static AVX512_DOT float dot_f32_avx512(const float *row, const float *query, ptrdiff_t n) {
    __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
    ptrdiff_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a = _mm512_fmadd_ps(_mm512_loadu_ps(row + i), _mm512_loadu_ps(query + i), a);
        b = _mm512_fmadd_ps(_mm512_loadu_ps(row + i + 16), _mm512_loadu_ps(query + i + 16), b);
    }
    float sum = _mm512_reduce_add_ps(_mm512_add_ps(a, b));
    for (; i < n; i++) sum += row[i] * query[i];
    return sum;
}

static AVX2_DOT float horizontal_sum(__m256 v) {
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    return _mm_cvtss_f32(sum);
}

static AVX2_DOT float dot_f16_avx2(const uint16_t *row, const float *query, ptrdiff_t n) {
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + i))), _mm256_loadu_ps(query + i), a);
        b = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + i + 8))), _mm256_loadu_ps(query + i + 8), b);
    }
    float sum = horizontal_sum(_mm256_add_ps(a, b));
    for (; i < n; i++) sum += half_to_float(row[i]) * query[i];
    return sum;
}

static AVX2_DOT float dot_f32_avx2(const float *row, const float *query, ptrdiff_t n) {
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a = _mm256_fmadd_ps(_mm256_loadu_ps(row + i), _mm256_loadu_ps(query + i), a);
        b = _mm256_fmadd_ps(_mm256_loadu_ps(row + i + 8), _mm256_loadu_ps(query + i + 8), b);
    }
    float sum = horizontal_sum(_mm256_add_ps(a, b));
    for (; i < n; i++) sum += row[i] * query[i];
    return sum;
}

typedef float (*dot_f16_kernel)(const uint16_t *, const float *, ptrdiff_t);
typedef float (*dot_f32_kernel)(const float *, const float *, ptrdiff_t);

static dot_f16_kernel chosen_f16(void) {
    if (__builtin_cpu_supports("avx512f")) return dot_f16_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("fma")) return dot_f16_avx2;
    return dot_f16_portable;
}

static dot_f32_kernel chosen_f32(void) {
    if (__builtin_cpu_supports("avx512f")) return dot_f32_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dot_f32_avx2;
    return dot_f32_portable;
}

// Racing first calls store the same pointer; a plain static is enough.
static dot_f16_kernel f16_kernel;
static dot_f32_kernel f32_kernel;

float clip_dot_f16(const uint16_t *row, const float *query, ptrdiff_t n) {
    if (!f16_kernel) f16_kernel = chosen_f16();
    return f16_kernel(row, query, n);
}

float clip_dot_f32(const float *row, const float *query, ptrdiff_t n) {
    if (!f32_kernel) f32_kernel = chosen_f32();
    return f32_kernel(row, query, n);
}

void clip_dot_rows_f16(const uint16_t *rows, ptrdiff_t count, ptrdiff_t n, const float *query, float *scores) {
    if (!f16_kernel) f16_kernel = chosen_f16();
    for (ptrdiff_t r = 0; r < count; r++) {
        if (r + 2 < count) __builtin_prefetch(rows + (r + 2) * n);
        scores[r] = f16_kernel(rows + r * n, query, n);
    }
}

#else

float clip_dot_f16(const uint16_t *row, const float *query, ptrdiff_t n) { return dot_f16_portable(row, query, n); }
void clip_dot_rows_f16(const uint16_t *rows, ptrdiff_t count, ptrdiff_t n, const float *query, float *scores) {
    for (ptrdiff_t r = 0; r < count; r++) scores[r] = dot_f16_portable(rows + r * n, query, n);
}
float clip_dot_f32(const float *row, const float *query, ptrdiff_t n) { return dot_f32_portable(row, query, n); }

#endif
