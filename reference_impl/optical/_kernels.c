/*
 * Compiled kernels of the CCSDS 131.0-B-3 coding golden model (orbitcert.reference_impl.optical._kernels).
 *
 * Section 4 (Reed-Solomon (255,223) E = 16, symbol interleaving of depth I: symbol j of codeword k
 * at codeblock position j*I + k, virtual fill for shortened codeblocks, Annex F dual-basis symbols),
 * section 9 (attached sync marker) and section 10 (pseudo-randomizer: the codeblock is XORed with a
 * sequence restarting at its first octet).
 *
 * Every kernel works on the WIRE representation (dual-basis symbols as transmitted). No field
 * arithmetic is needed to encode: the Python layer (kernels.py) builds, from ReedSolomonCode.tables,
 * one "tables" blob per code with
 *   - EXP (512 octets: gamma^(i mod 255)), LOG (256), TO_DUAL (256), TO_CONV (256): field tables for
 *     the error path (logarithms to the base gamma = alpha^generator_exponent, conventional basis);
 *   - GF (32 x GFQ uint64): for table position q and check octet b, the 8x8 GF(2) bit matrix of the
 *     linear map "wire symbol at q -> its contribution to check octet b" in the operand layout of
 *     GF2P8AFFINEQB (row r = byte 7-r of the qword); zero beyond position k;
 *   - NIB (k x 2 x 16 x 32 octets): the same contributions split by nibble (low nibble row v, high
 *     nibble row v), 2E check octets padded to 32.
 * Shortened codes (k' < k transmitted positions) use the LAST k' table positions (virtual fill).
 *
 * Runtime CPU dispatch: "gfni" (AVX-512 F/BW/VL/VBMI + GFNI), "avx2", "portable" (plain C).
 * x86 variants are compiled with function target attributes only on x86-64 GCC/Clang, so this
 * file builds everywhere with the portable kernels alone (-DOC_NO_SIMD forces that build on x86-64).
 */
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Version of the table blob layout shared with kernels.py (_TABLE_LAYOUT there). */
#define OC_TABLE_LAYOUT 1

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(OC_NO_SIMD)
#define OC_X86 1
#include <immintrin.h>
#else
#define OC_X86 0
#endif

/* ---- table blob layout (kept in step with kernels.py: _build_tables) ---------------------------- */
#define OFF_EXP 0
#define OFF_LOG 512
#define OFF_TODUAL 768
#define OFF_TOCONV 1024
#define OFF_GF 1280
#define GFQ 264 /* matrix slots per check octet: k <= 255 positions + zero padding for 8-wide loads */
#define OFF_NIB (OFF_GF + 32 * GFQ * 8)
#define MAX_ROOTS 32

typedef struct {
    const uint8_t *exp, *log, *to_dual, *to_conv;
    const uint64_t *gf;
    const uint8_t *nib;
    int k, nroots, fcr, E;
} code_t;

enum { V_PORTABLE = 0, V_AVX2 = 1, V_GFNI = 2 };
static const char *const variant_names[] = {"portable", "avx2", "gfni"};
static int supported[3] = {1, 0, 0};
static int active_variant = V_PORTABLE;

/* ================================================================================================
 * Reed-Solomon parity (section 4): rows of k' * I information octets -> 2E * I check octets
 * (check octet b of codeword c at b*I + c).
 * ============================================================================================== */

typedef void (*parity_fn)(const code_t *, const uint8_t *, size_t, uint8_t *, size_t, size_t, int, int);

static inline int popcount64(uint64_t v) {
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_popcountll(v);
#else
    int n = 0;
    for (; v; v &= v - 1) n++;
    return n;
#endif
}

static inline uint64_t ld64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Portable: per input octet two nibble-table rows of 32 octets XORed into the codeword's accumulator. */
static void parity_portable(const code_t *c, const uint8_t *info, size_t in_stride, uint8_t *out,
                            size_t out_stride, size_t n, int kp, int depth) {
    uint64_t acc[255][4];
    const uint8_t *nib0 = c->nib + (size_t)(c->k - kp) * 1024;
    for (size_t row = 0; row < n; row++) {
        const uint8_t *in = info + row * in_stride;
        memset(acc, 0, sizeof(uint64_t) * 4 * (size_t)depth);
        for (int j = 0; j < kp; j++) {
            const uint8_t *nb = nib0 + (size_t)j * 1024;
            const uint8_t *sym = in + (size_t)j * depth;
            for (int w = 0; w < depth; w++) {
                const uint8_t *lo = nb + (sym[w] & 15) * 32;
                const uint8_t *hi = nb + 512 + (sym[w] >> 4) * 32;
                acc[w][0] ^= ld64(lo) ^ ld64(hi);
                acc[w][1] ^= ld64(lo + 8) ^ ld64(hi + 8);
                acc[w][2] ^= ld64(lo + 16) ^ ld64(hi + 16);
                acc[w][3] ^= ld64(lo + 24) ^ ld64(hi + 24);
            }
        }
        uint8_t *o = out + row * out_stride;
        for (int w = 0; w < depth; w++) {
            const uint8_t *a = (const uint8_t *)acc[w];
            for (int b = 0; b < c->nroots; b++) o[b * depth + w] = a[b];
        }
    }
}

#if OC_X86
/* AVX2: the portable scheme with one 32-octet register per codeword (depth <= 8 specialized). The
 * nibble tables (1 kB per position, 228 kB in all) do not fit L1: rows are processed in chunks of
 * NIB_ROWS, and positions in blocks of NIB_POS (24 kB of tables, L1-resident while the chunk's rows
 * go through them), the accumulators parked in a small buffer between blocks; a vector pre-pass turns
 * the block's octets into 16-bit nibble-row offsets. */
#ifndef NIB_ROWS
#define NIB_ROWS 32
#endif
#ifndef NIB_POS
#define NIB_POS 24
#endif
#ifndef PF_HINT
#define PF_HINT _MM_HINT_T1 /* into L2: the chunk (NIB_ROWS rows) would evict the tables from L1 */
#endif
__attribute__((target("avx2"), always_inline)) static inline void
parity_avx2_depth(const code_t *c, const uint8_t *info, size_t in_stride, uint8_t *out, size_t out_stride,
                  size_t n, int kp, const int depth) {
    const uint8_t *nib0 = c->nib + (size_t)(c->k - kp) * 1024;
    __m256i park[NIB_ROWS][8];
    uint16_t lo_off[NIB_POS * 8] __attribute__((aligned(32)));
    uint16_t hi_off[NIB_POS * 8] __attribute__((aligned(32)));
    const __m256i fifteen = _mm256_set1_epi16(15), hibase = _mm256_set1_epi16(512);
    for (size_t r0 = 0; r0 < n; r0 += NIB_ROWS) {
        const size_t rows = n - r0 < NIB_ROWS ? n - r0 : NIB_ROWS;
        /* the chunk's rows are read NIB_POS positions at a time, a pattern the hardware prefetcher
         * does not follow: fetch the next chunk while this one is computed (and the first up front) */
        for (size_t r = r0 ? r0 + NIB_ROWS : 0; r < n && r < r0 + 2 * NIB_ROWS; r++) {
            const char *in = (const char *)(info + r * in_stride);
            for (size_t t = 0; t < (size_t)kp * (size_t)depth; t += 64) _mm_prefetch(in + t, PF_HINT);
        }
        for (int j0 = 0; j0 < kp; j0 += NIB_POS) {
            const int j1 = kp - j0 < NIB_POS ? kp : j0 + NIB_POS;
            for (size_t r = 0; r < rows; r++) {
                const uint8_t *in = info + (r0 + r) * in_stride;
                __m256i acc[8];
                for (int w = 0; w < depth; w++) acc[w] = j0 ? park[r][w] : _mm256_setzero_si256();
                /* nibble-row offsets of the block's octets, 16 at a time */
                const size_t len = (size_t)(j1 - j0) * (size_t)depth;
                const uint8_t *src = in + (size_t)j0 * depth;
                size_t t = 0;
                for (; t + 16 <= len; t += 16) {
                    __m256i v = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(src + t)));
                    _mm256_store_si256((__m256i *)(lo_off + t), _mm256_slli_epi16(_mm256_and_si256(v, fifteen), 5));
                    _mm256_store_si256((__m256i *)(hi_off + t),
                                       _mm256_add_epi16(_mm256_slli_epi16(_mm256_srli_epi16(v, 4), 5), hibase));
                }
                for (; t < len; t++) {
                    lo_off[t] = (uint16_t)((src[t] & 15) * 32);
                    hi_off[t] = (uint16_t)(512 + (src[t] >> 4) * 32);
                }
                const uint16_t *lp = lo_off, *hp = hi_off;
                const uint8_t *nb = nib0 + (size_t)j0 * 1024;
                int j = j0;
                if (depth <= 2) { /* few codewords: a second accumulator set breaks the XOR chain */
                    __m256i odd[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
                    for (; j + 2 <= j1; j += 2, nb += 2048, lp += 2 * depth, hp += 2 * depth) {
                        for (int w = 0; w < depth; w++) {
                            __m256i lo = _mm256_loadu_si256((const __m256i *)(nb + lp[w]));
                            __m256i hi = _mm256_loadu_si256((const __m256i *)(nb + hp[w]));
                            acc[w] = _mm256_xor_si256(acc[w], _mm256_xor_si256(lo, hi));
                            __m256i lo2 = _mm256_loadu_si256((const __m256i *)(nb + 1024 + lp[depth + w]));
                            __m256i hi2 = _mm256_loadu_si256((const __m256i *)(nb + 1024 + hp[depth + w]));
                            odd[w] = _mm256_xor_si256(odd[w], _mm256_xor_si256(lo2, hi2));
                        }
                    }
                    for (int w = 0; w < depth; w++) acc[w] = _mm256_xor_si256(acc[w], odd[w]);
                }
                for (; j < j1; j++, nb += 1024, lp += depth, hp += depth) {
                    for (int w = 0; w < depth; w++) {
                        __m256i lo = _mm256_loadu_si256((const __m256i *)(nb + lp[w]));
                        __m256i hi = _mm256_loadu_si256((const __m256i *)(nb + hp[w]));
                        acc[w] = _mm256_xor_si256(acc[w], _mm256_xor_si256(lo, hi));
                    }
                }
                for (int w = 0; w < depth; w++) park[r][w] = acc[w];
            }
        }
        for (size_t r = 0; r < rows; r++) {
            uint8_t *o = out + (r0 + r) * out_stride;
            const uint8_t *a = (const uint8_t *)park[r];
            for (int b = 0; b < c->nroots; b++)
                for (int w = 0; w < depth; w++) o[b * depth + w] = a[w * 32 + b];
        }
    }
}

__attribute__((target("avx2"))) static void parity_avx2(const code_t *c, const uint8_t *info, size_t in_stride,
                                                        uint8_t *out, size_t out_stride, size_t n, int kp,
                                                        int depth) {
    switch (depth) {
#define D(x) \
    case x: parity_avx2_depth(c, info, in_stride, out, out_stride, n, kp, x); return;
        D(1) D(2) D(3) D(4) D(5) D(6) D(7) D(8)
#undef D
    default: parity_portable(c, info, in_stride, out, out_stride, n, kp, depth);
    }
}

/* GFNI: one qword lane = one position, its 8 octets = 8 consecutive codewords of the batch (a
 * "super-row": codeword g = row*I + c of the batch, so a super-row may span codeblocks); one
 * GF2P8AFFINEQB applies 8 positions' matrices for one check octet to 8 codewords. The input is
 * staged into that layout (masked loads, VPERMB, zero fill beyond k' and beyond the batch), then
 * GF_R super-rows are processed together in passes of GF_B check octets (24 accumulators), the 8
 * lanes XOR-reduced at the end. */
#define GF_TARGET "avx512f,avx512bw,avx512vl,avx512vbmi,gfni"
#define GF_R 3
#define GF_B 8

__attribute__((target(GF_TARGET))) static inline uint64_t hxor512(__m512i v) {
    __m256i a = _mm256_xor_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
    __m128i b = _mm_xor_si128(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    b = _mm_xor_si128(b, _mm_unpackhi_epi64(b, b));
    return (uint64_t)_mm_cvtsi128_si64(b);
}

__attribute__((target(GF_TARGET))) static void parity_gfni(const code_t *c, const uint8_t *info, size_t in_stride,
                                                           uint8_t *out, size_t out_stride, size_t n, int kp,
                                                           int depth) {
    if (depth > 8) {
        parity_avx2(c, info, in_stride, out, out_stride, n, kp, depth);
        return;
    }
    const int npg = (kp + 7) / 8; /* groups of 8 positions */
    const int npass = (c->nroots + GF_B - 1) / GF_B;
    const uint64_t *gf0 = c->gf + (c->k - kp);
    /* Staging permutations by d = (first codeword of the super-row) - (first codeword of the row),
     * -7 <= d <= 7: slot s takes codeword w = s + d of the row, i.e. source octet lane*I + w. */
    __m512i idx[15];
    __mmask64 keep[15];
    for (int d = -7; d <= 7; d++) {
        uint8_t ib[64];
        uint64_t km = 0;
        memset(ib, 0, sizeof ib);
        for (int lane = 0; lane < 8; lane++)
            for (int slot = 0; slot < 8; slot++) {
                int w = slot + d;
                if (w < 0 || w >= depth) continue;
                ib[lane * 8 + slot] = (uint8_t)(lane * depth + w);
                km |= 1ULL << (lane * 8 + slot);
            }
        idx[d + 7] = _mm512_loadu_si512(ib);
        keep[d + 7] = (__mmask64)km;
    }
    __mmask64 lmask[32];
    for (int pg = 0; pg < npg; pg++) {
        int cnt = (kp - pg * 8 < 8 ? kp - pg * 8 : 8) * depth;
        lmask[pg] = cnt >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << cnt) - 1);
    }
    __m512i stage[GF_R][32];
    uint64_t red[GF_R][MAX_ROOTS] __attribute__((aligned(64)));
    const size_t total = n * (size_t)depth; /* codewords in the batch */
    const size_t nsuper = (total + 7) / 8;
    for (size_t s0 = 0; s0 < nsuper; s0 += GF_R) {
        const int rcount = (nsuper - s0) < GF_R ? (int)(nsuper - s0) : GF_R;
        for (int r = 0; r < GF_R; r++) {
            if (r >= rcount) {
                for (int pg = 0; pg < npg; pg++) stage[r][pg] = _mm512_setzero_si512();
                continue;
            }
            size_t g0 = (s0 + (size_t)r) * 8, g1 = g0 + 8 < total ? g0 + 8 : total;
            size_t row_lo = g0 / (size_t)depth, row_hi = (g1 - 1) / (size_t)depth;
            for (int pg = 0; pg < npg; pg++) {
                __m512i v = _mm512_setzero_si512();
                for (size_t row = row_lo; row <= row_hi; row++) {
                    int d = (int)((long)g0 - (long)(row * (size_t)depth));
                    __mmask64 km = keep[d + 7];
                    if (row == row_hi && g1 - g0 < 8) km &= 0x0101010101010101ULL * ((1u << (g1 - g0)) - 1);
                    const uint8_t *src = info + row * in_stride + (size_t)pg * 8 * (size_t)depth;
                    __m512i x = _mm512_maskz_loadu_epi8(lmask[pg], src);
                    v = _mm512_or_si512(v, _mm512_maskz_permutexvar_epi8(km, idx[d + 7], x));
                }
                stage[r][pg] = v;
            }
        }
        for (int p = 0; p < npass; p++) {
            /* Named accumulators (GCC spills an array of them): aRB, super-row R, check octet p*8+B. */
#define ACC3(B) __m512i a0##B = _mm512_setzero_si512(), a1##B = a0##B, a2##B = a0##B;
            ACC3(0) ACC3(1) ACC3(2) ACC3(3) ACC3(4) ACC3(5) ACC3(6) ACC3(7)
#undef ACC3
            const uint64_t *m = gf0 + (size_t)(p * GF_B) * GFQ;
            int pg = 0;
            /* two position groups per step, folded with one three-way XOR (VPTERNLOGQ 0x96) */
#define STEP2(B)                                                                                           \
    {                                                                                                      \
        __m512i mx = _mm512_loadu_si512(m + (size_t)(B) * GFQ + (size_t)pg * 8);                          \
        __m512i my = _mm512_loadu_si512(m + (size_t)(B) * GFQ + (size_t)pg * 8 + 8);                      \
        a0##B = _mm512_ternarylogic_epi64(a0##B, _mm512_gf2p8affine_epi64_epi8(x0, mx, 0),                \
                                          _mm512_gf2p8affine_epi64_epi8(y0, my, 0), 0x96);                \
        a1##B = _mm512_ternarylogic_epi64(a1##B, _mm512_gf2p8affine_epi64_epi8(x1, mx, 0),                \
                                          _mm512_gf2p8affine_epi64_epi8(y1, my, 0), 0x96);                \
        a2##B = _mm512_ternarylogic_epi64(a2##B, _mm512_gf2p8affine_epi64_epi8(x2, mx, 0),                \
                                          _mm512_gf2p8affine_epi64_epi8(y2, my, 0), 0x96);                \
    }
#define STEP1(B)                                                                                           \
    {                                                                                                      \
        __m512i mx = _mm512_loadu_si512(m + (size_t)(B) * GFQ + (size_t)pg * 8);                          \
        a0##B = _mm512_xor_si512(a0##B, _mm512_gf2p8affine_epi64_epi8(x0, mx, 0));                        \
        a1##B = _mm512_xor_si512(a1##B, _mm512_gf2p8affine_epi64_epi8(x1, mx, 0));                        \
        a2##B = _mm512_xor_si512(a2##B, _mm512_gf2p8affine_epi64_epi8(x2, mx, 0));                        \
    }
            for (; pg + 1 < npg; pg += 2) {
                __m512i x0 = stage[0][pg], x1 = stage[1][pg], x2 = stage[2][pg];
                __m512i y0 = stage[0][pg + 1], y1 = stage[1][pg + 1], y2 = stage[2][pg + 1];
                STEP2(0) STEP2(1) STEP2(2) STEP2(3) STEP2(4) STEP2(5) STEP2(6) STEP2(7)
            }
            if (pg < npg) {
                __m512i x0 = stage[0][pg], x1 = stage[1][pg], x2 = stage[2][pg];
                STEP1(0) STEP1(1) STEP1(2) STEP1(3) STEP1(4) STEP1(5) STEP1(6) STEP1(7)
            }
#undef STEP1
#undef STEP2
            uint64_t *r0 = red[0] + p * GF_B, *r1 = red[1] + p * GF_B, *r2 = red[2] + p * GF_B;
#define RED(B) r0[B] = hxor512(a0##B); r1[B] = hxor512(a1##B); r2[B] = hxor512(a2##B);
            RED(0) RED(1) RED(2) RED(3) RED(4) RED(5) RED(6) RED(7)
#undef RED
        }
        for (int r = 0; r < rcount; r++) {
            size_t g0 = (s0 + (size_t)r) * 8;
            for (int slot = 0; slot < 8 && g0 + (size_t)slot < total; slot++) {
                size_t g = g0 + (size_t)slot, row = g / (size_t)depth;
                int w = (int)(g - row * (size_t)depth);
                uint8_t *o = out + row * out_stride + w;
                for (int b = 0; b < c->nroots; b++) o[b * depth] = (uint8_t)(red[r][b] >> (8 * slot));
            }
        }
    }
}
#endif

static parity_fn parity_for(int variant) {
#if OC_X86
    if (variant == V_GFNI) return parity_gfni;
    if (variant == V_AVX2) return parity_avx2;
#endif
    (void)variant;
    return parity_portable;
}

/* ================================================================================================
 * Error path of one dirty codeword (section 4): syndromes from the remainder, Berlekamp-Massey,
 * Chien search over the transmitted positions, Forney, re-encoding check. Same steps and the same
 * acceptance rules as ReedSolomonCode.correct (the numpy model). Returns the number of corrected
 * symbols (cw is then corrected in place) or -1 (cw may be modified: callers pass a copy).
 * ============================================================================================== */

static inline uint8_t gmul_log(const code_t *c, uint8_t a, int blog) { /* a * gamma^blog, 0 <= blog < 255 */
    return a ? c->exp[c->log[a] + blog] : 0;
}

static int correct_codeword(const code_t *c, uint8_t *cw, int kp, const uint8_t *rem) {
    const int nroots = c->nroots, E = c->E, length = kp + nroots;
    const uint8_t *exp = c->exp, *lg = c->log;
    uint8_t synd[MAX_ROOTS];
    int slog[MAX_ROOTS]; /* -1 for a zero syndrome */
    /* Syndromes S_j = r(gamma^(fcr+j)) of the remainder r(x) (x^i at transmitted index nroots-1-i). */
    memset(synd, 0, sizeof synd);
    for (int i = 0; i < nroots; i++) {
        uint8_t v = c->to_conv[rem[nroots - 1 - i]];
        if (!v) continue;
        /* exponent log(v) + (fcr+j)*i mod 255, stepped by i per j (EXP covers 0 .. 511) */
        int e = (lg[v] + (c->fcr * i) % 255) % 255;
        for (int j = 0; j < nroots; j++) {
            synd[j] ^= exp[e];
            e += i;
            if (e >= 255) e -= 255;
        }
    }
    for (int j = 0; j < nroots; j++) slog[j] = synd[j] ? lg[synd[j]] : -1;

    /* Berlekamp-Massey, exactly the iteration of ReedSolomonCode.berlekamp_massey. */
    uint8_t lam[MAX_ROOTS + 1], prev[MAX_ROOTS + 1], upd[MAX_ROOTS + 1];
    memset(lam, 0, sizeof lam);
    lam[0] = 1;
    memcpy(prev, lam, sizeof lam);
    int degree = 0, shift = 1;
    uint8_t prev_disc = 1;
    for (int step = 0; step < nroots; step++) {
        uint8_t disc = 0;
        for (int i = 0; i <= step; i++)
            if (lam[i] && slog[step - i] >= 0) disc ^= exp[lg[lam[i]] + slog[step - i]];
        if (disc) {
            int flog = (lg[disc] - lg[prev_disc] + 255) % 255;
            for (int col = 0; col <= nroots; col++) {
                uint8_t sh = col >= shift ? prev[col - shift] : 0;
                upd[col] = lam[col] ^ gmul_log(c, sh, flog);
            }
        }
        int grow = disc && 2 * degree <= step;
        if (grow) {
            memcpy(prev, lam, sizeof lam);
            prev_disc = disc;
            degree = step + 1 - degree;
            shift = 1;
        } else {
            shift += 1;
        }
        if (disc) memcpy(lam, upd, sizeof lam);
    }
    if (degree < 1 || degree > E) return -1;

    /* Chien search over x^i, i = 0 .. length-1 (i >= length is virtual fill: never searched). */
    int terms[MAX_ROOTS + 1], tdeg[MAX_ROOTS + 1], nterms = 0;
    for (int d = 0; d <= E; d++)
        if (lam[d]) {
            terms[nterms] = lg[lam[d]];
            tdeg[nterms] = d;
            nterms++;
        }
    /* Lambda has at most (its actual degree) roots: fewer than the BM degree means uncorrectable,
     * and once the BM degree is reached no further root exists. */
    if (nterms == 0 || tdeg[nterms - 1] < degree) return -1;
    const int exact = tdeg[nterms - 1] == degree;
    int roots[MAX_ROOTS], nfound = 0;
    for (int i = 0; i < length; i++) {
        uint8_t val = 0;
        for (int t = 0; t < nterms; t++) {
            val ^= exp[terms[t]];
            int e = terms[t] - tdeg[t]; /* next position: multiply by gamma^-d */
            terms[t] = e < 0 ? e + 255 : e;
        }
        if (!val) {
            if (nfound == degree) return -1; /* more roots than the degree */
            roots[nfound++] = i;
            if (exact && nfound == degree) break;
        }
    }
    if (nfound != degree) return -1;

    /* Forney: e = X^(1-fcr) Omega(X^-1) / Lambda'(X^-1), Omega = S Lambda mod x^2E. */
    uint8_t omega[MAX_ROOTS];
    memset(omega, 0, sizeof omega);
    for (int d = 0; d <= E; d++) {
        if (!lam[d]) continue;
        int ll = lg[lam[d]];
        for (int t = d; t < nroots; t++)
            if (slog[t - d] >= 0) omega[t] ^= exp[ll + slog[t - d]];
    }
    for (int r = 0; r < nfound; r++) {
        int pos = roots[r];
        const int inv = (255 - pos % 255) % 255, inv2 = (2 * inv) % 255;
        uint8_t om = 0, de = 0;
        for (int t = 0, e = 0; t < nroots; t++) { /* e = inv*t mod 255 */
            if (omega[t]) om ^= exp[lg[omega[t]] + e];
            e += inv;
            if (e >= 255) e -= 255;
        }
        for (int m = 0, e = 0; 2 * m + 1 <= E; m++) { /* e = 2*inv*m mod 255 */
            if (lam[2 * m + 1]) de ^= exp[lg[lam[2 * m + 1]] + e];
            e += inv2;
            if (e >= 255) e -= 255;
        }
        if (!om || !de) return -1;
        long e = ((long)pos * (1 - c->fcr)) % 255;
        e = (e + 255 + lg[om] + 255 - lg[de]) % 255;
        cw[length - 1 - pos] ^= c->to_dual[exp[e]];
    }
    /* Accept only a codeword that re-encodes to its check symbols. */
    uint8_t check[MAX_ROOTS];
    parity_portable(c, cw, 0, check, 0, 1, kp, 1);
    if (memcmp(check, cw + kp, (size_t)nroots) != 0) return -1;
    return degree;
}

/* ================================================================================================
 * Python glue
 * ============================================================================================== */

static int get_code(code_t *c, Py_buffer *tables, int k, int nroots, int fcr) {
    if (nroots < 2 || nroots > MAX_ROOTS || nroots % 2 || k < 1 || k > 255 || fcr < 0 || fcr > 254) {
        PyErr_Format(PyExc_ValueError, "unsupported code: k=%d, 2E=%d, fcr=%d", k, nroots, fcr);
        return -1;
    }
    if (tables->len < (Py_ssize_t)OFF_NIB + (Py_ssize_t)k * 1024) {
        PyErr_SetString(PyExc_ValueError, "tables: buffer too short for this code");
        return -1;
    }
    const uint8_t *t = (const uint8_t *)tables->buf;
    c->exp = t + OFF_EXP;
    c->log = t + OFF_LOG;
    c->to_dual = t + OFF_TODUAL;
    c->to_conv = t + OFF_TOCONV;
    c->gf = (const uint64_t *)(t + OFF_GF); /* the blob is 64-octet aligned (kernels.py checks) */
    c->nib = t + OFF_NIB;
    c->k = k;
    c->nroots = nroots;
    c->fcr = fcr;
    c->E = nroots / 2;
    return 0;
}

static int check_depth_kp(const code_t *c, int kp, int depth) {
    if (depth < 1 || depth > 255 || kp < 1 || kp > c->k) {
        PyErr_Format(PyExc_ValueError, "bad shape: k'=%d, I=%d (k=%d)", kp, depth, c->k);
        return -1;
    }
    return 0;
}

/* parity(tables, k, nroots, fcr, info, kp, depth, out) */
static PyObject *py_parity(PyObject *self, PyObject *args) {
    Py_buffer tb, in, out;
    int k, nroots, fcr, kp, depth;
    code_t c;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*iiiy*iiw*", &tb, &k, &nroots, &fcr, &in, &kp, &depth, &out)) return NULL;
    PyObject *res = NULL;
    if (get_code(&c, &tb, k, nroots, fcr) < 0 || check_depth_kp(&c, kp, depth) < 0) goto done;
    size_t row_in = (size_t)kp * (size_t)depth, row_out = (size_t)nroots * (size_t)depth;
    size_t n = (size_t)in.len / row_in;
    if ((size_t)in.len != n * row_in || (size_t)out.len != n * row_out) {
        PyErr_SetString(PyExc_ValueError, "parity: buffer sizes do not match N x k'*I and N x 2E*I");
        goto done;
    }
    parity_fn fn = parity_for(active_variant);
    Py_BEGIN_ALLOW_THREADS
    fn(&c, (const uint8_t *)in.buf, row_in, (uint8_t *)out.buf, row_out, n, kp, depth);
    Py_END_ALLOW_THREADS
    res = Py_None;
    Py_INCREF(res);
done:
    PyBuffer_Release(&tb);
    PyBuffer_Release(&in);
    PyBuffer_Release(&out);
    return res;
}

static void xor_into(uint8_t *dst, const uint8_t *a, const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = a[i] ^ b[i];
}

#define CHUNK 64

/* encode(tables, k, nroots, fcr, frames, L, depth, marker, sequence|None, out) */
static PyObject *py_encode(PyObject *self, PyObject *args) {
    Py_buffer tb, fr, mk, out, sq = {0};
    int k, nroots, fcr, length, depth;
    PyObject *seq_obj;
    code_t c;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*iiiy*iiy*Ow*", &tb, &k, &nroots, &fcr, &fr, &length, &depth, &mk, &seq_obj, &out))
        return NULL;
    PyObject *res = NULL;
    int have_seq = seq_obj != Py_None;
    if (have_seq && PyObject_GetBuffer(seq_obj, &sq, PyBUF_SIMPLE) < 0) goto done0;
    if (get_code(&c, &tb, k, nroots, fcr) < 0) goto done;
    if (depth < 1 || length < 1 || length % depth || check_depth_kp(&c, length / depth, depth) < 0) {
        if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "bad frame length %d for depth %d", length, depth);
        goto done;
    }
    int kp = length / depth;
    size_t W = (size_t)mk.len, P = (size_t)nroots * (size_t)depth, block = (size_t)length + P, row = W + block;
    size_t n = (size_t)fr.len / (size_t)length;
    if ((size_t)fr.len != n * (size_t)length || (size_t)out.len != n * row) {
        PyErr_SetString(PyExc_ValueError, "encode: buffer sizes do not match N x L and N x (W + L + 2E*I)");
        goto done;
    }
    if (have_seq && (size_t)sq.len < block) {
        PyErr_SetString(PyExc_ValueError, "encode: randomizer sequence shorter than a codeblock");
        goto done;
    }
    parity_fn fn = parity_for(active_variant);
    const uint8_t *f = (const uint8_t *)fr.buf, *m = (const uint8_t *)mk.buf, *s = (const uint8_t *)sq.buf;
    uint8_t *o = (uint8_t *)out.buf;
    Py_BEGIN_ALLOW_THREADS
    for (size_t lo = 0; lo < n; lo += CHUNK) {
        size_t cnt = n - lo < CHUNK ? n - lo : CHUNK;
        /* marker and (randomized) frame first: the rows are then in cache for the parity's stores */
        for (size_t i = lo; i < lo + cnt; i++) {
            uint8_t *dst = o + i * row;
            memcpy(dst, m, W);
            if (have_seq)
                xor_into(dst + W, f + i * (size_t)length, s, (size_t)length);
            else
                memcpy(dst + W, f + i * (size_t)length, (size_t)length);
        }
        fn(&c, f + lo * (size_t)length, (size_t)length, o + lo * row + W + (size_t)length, row, cnt, kp, depth);
        if (have_seq)
            for (size_t i = lo; i < lo + cnt; i++) {
                uint8_t *dst = o + i * row + W + length;
                xor_into(dst, dst, s + length, P);
            }
    }
    Py_END_ALLOW_THREADS
    res = Py_None;
    Py_INCREF(res);
done:
    if (have_seq) PyBuffer_Release(&sq);
done0:
    PyBuffer_Release(&tb);
    PyBuffer_Release(&fr);
    PyBuffer_Release(&mk);
    PyBuffer_Release(&out);
    return res;
}

/* decode(tables, k, nroots, fcr, buf, offsets, L, depth, sequence|None, frames_out, corrected_out, uncorr_out) */
static PyObject *py_decode(PyObject *self, PyObject *args) {
    Py_buffer tb, bf, ofs, fo, co, uo, sq = {0};
    int k, nroots, fcr, length, depth;
    PyObject *seq_obj;
    code_t c;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*iiiy*y*iiOw*w*w*", &tb, &k, &nroots, &fcr, &bf, &ofs, &length, &depth, &seq_obj,
                          &fo, &co, &uo))
        return NULL;
    PyObject *res = NULL;
    uint8_t *scratch = NULL;
    int have_seq = seq_obj != Py_None;
    if (have_seq && PyObject_GetBuffer(seq_obj, &sq, PyBUF_SIMPLE) < 0) goto done0;
    if (get_code(&c, &tb, k, nroots, fcr) < 0) goto done;
    if (depth < 1 || length < 1 || length % depth || check_depth_kp(&c, length / depth, depth) < 0) {
        if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "bad frame length %d for depth %d", length, depth);
        goto done;
    }
    int kp = length / depth;
    size_t P = (size_t)nroots * (size_t)depth, block = (size_t)length + P;
    size_t m = (size_t)ofs.len / 8;
    if ((size_t)ofs.len != m * 8 || (size_t)fo.len != m * (size_t)length || (size_t)co.len != m * (size_t)depth * 8 ||
        (size_t)uo.len != m) {
        PyErr_SetString(PyExc_ValueError, "decode: output sizes do not match M offsets");
        goto done;
    }
    if (have_seq && (size_t)sq.len < block) {
        PyErr_SetString(PyExc_ValueError, "decode: randomizer sequence shorter than a codeblock");
        goto done;
    }
    const int64_t *off = (const int64_t *)ofs.buf;
    for (size_t i = 0; i < m; i++) {
        int64_t o = off[i];
        if (o < 0 || (uint64_t)o > (uint64_t)bf.len || (uint64_t)bf.len - (uint64_t)o < block) {
            PyErr_Format(PyExc_ValueError,
                         "offsets[%zd] = %lld: the codeblock of %zd octets does not fit the buffer of %zd octets",
                         (Py_ssize_t)i, (long long)o, (Py_ssize_t)block, bf.len);
            goto done;
        }
    }
    /* scratch: recomputed parity (CHUNK x P), received parity (P), codeword copies (I x 255) */
    scratch = (uint8_t *)PyMem_RawMalloc(CHUNK * P + P + (size_t)depth * 256 + 64);
    if (!scratch) {
        PyErr_NoMemory();
        goto done;
    }
    parity_fn fn = parity_for(active_variant);
    const uint8_t *buf = (const uint8_t *)bf.buf, *s = (const uint8_t *)sq.buf;
    uint8_t *frames = (uint8_t *)fo.buf, *unc = (uint8_t *)uo.buf;
    int64_t *counts = (int64_t *)co.buf;
    uint8_t *rec = scratch, *recv = scratch + CHUNK * P, *cws = recv + P;
    Py_BEGIN_ALLOW_THREADS
    for (size_t lo = 0; lo < m; lo += CHUNK) {
        size_t cnt = m - lo < CHUNK ? m - lo : CHUNK;
        for (size_t i = lo; i < lo + cnt; i++) {
            const uint8_t *src = buf + off[i];
            if (have_seq)
                xor_into(frames + i * (size_t)length, src, s, (size_t)length);
            else
                memcpy(frames + i * (size_t)length, src, (size_t)length);
        }
        fn(&c, frames + lo * (size_t)length, (size_t)length, rec, P, cnt, kp, depth);
        for (size_t i = lo; i < lo + cnt; i++) {
            const uint8_t *src = buf + off[i] + length;
            const uint8_t *r = rec + (i - lo) * P;
            int64_t *cnt_row = counts + i * (size_t)depth;
            if (have_seq)
                xor_into(recv, src, s + length, P);
            else
                memcpy(recv, src, P);
            for (int w = 0; w < depth; w++) cnt_row[w] = 0;
            unc[i] = 0;
            if (memcmp(r, recv, P) == 0) continue; /* every codeword clean */
            uint8_t *row = frames + i * (size_t)length;
            int bad = 0, any_fix = 0;
            for (int w = 0; w < depth; w++) {
                uint8_t rem[MAX_ROOTS];
                int dirty = 0;
                for (int b = 0; b < nroots; b++) {
                    rem[b] = r[b * depth + w] ^ recv[b * depth + w];
                    dirty |= rem[b];
                }
                if (!dirty) continue;
                uint8_t *cw = cws + (size_t)w * 256;
                for (int j = 0; j < kp; j++) cw[j] = row[(size_t)j * depth + w];
                for (int b = 0; b < nroots; b++) cw[kp + b] = recv[b * depth + w];
                int fixed = correct_codeword(&c, cw, kp, rem);
                cnt_row[w] = fixed;
                if (fixed < 0) bad = 1;
                else if (fixed > 0) any_fix = 1;
            }
            if (bad) {
                unc[i] = 1;
            } else if (any_fix) {
                for (int w = 0; w < depth; w++) {
                    if (cnt_row[w] <= 0) continue;
                    const uint8_t *cw = cws + (size_t)w * 256;
                    for (int j = 0; j < kp; j++) row[(size_t)j * depth + w] = cw[j];
                }
            }
        }
    }
    Py_END_ALLOW_THREADS
    res = Py_None;
    Py_INCREF(res);
done:
    if (have_seq) PyBuffer_Release(&sq);
done0:
    PyMem_RawFree(scratch);
    PyBuffer_Release(&tb);
    PyBuffer_Release(&bf);
    PyBuffer_Release(&ofs);
    PyBuffer_Release(&fo);
    PyBuffer_Release(&co);
    PyBuffer_Release(&uo);
    return res;
}

/* find_marker(buf, start, stop, marker) -> first o in [start, stop - W] with buf[o:o+W] == marker, or -1 */
static PyObject *py_find_marker(PyObject *self, PyObject *args) {
    Py_buffer bf, mk;
    Py_ssize_t start, stop;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*nny*", &bf, &start, &stop, &mk)) return NULL;
    Py_ssize_t found = -1;
    if (start < 0) start = 0;
    if (stop > bf.len) stop = bf.len;
    /* Compare before subtracting: stop may be far below start (no overflow of stop - start). */
    if (mk.len > 0 && start <= bf.len && stop >= start && stop - start >= mk.len) {
        const uint8_t *base = (const uint8_t *)bf.buf;
        Py_BEGIN_ALLOW_THREADS
#if defined(__GLIBC__)
        const uint8_t *hit = memmem(base + start, (size_t)(stop - start), mk.buf, (size_t)mk.len);
        if (hit) found = hit - base;
#else
        const uint8_t *needle = (const uint8_t *)mk.buf;
        for (Py_ssize_t o = start; o + mk.len <= stop; o++) {
            const uint8_t *p = memchr(base + o, needle[0], (size_t)(stop - mk.len + 1 - o));
            if (!p) break;
            o = p - base;
            if (memcmp(p, needle, (size_t)mk.len) == 0) {
                found = o;
                break;
            }
        }
#endif
        Py_END_ALLOW_THREADS
    } else if (mk.len == 0 && start <= stop) {
        found = start;
    }
    PyBuffer_Release(&bf);
    PyBuffer_Release(&mk);
    return PyLong_FromSsize_t(found);
}

/* marker_distances(buf, positions int64, marker, out int64): Hamming distance in bits at each position */
static PyObject *py_marker_distances(PyObject *self, PyObject *args) {
    Py_buffer bf, ps, mk, out;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*y*w*", &bf, &ps, &mk, &out)) return NULL;
    PyObject *res = NULL;
    size_t n = (size_t)ps.len / 8;
    if ((size_t)ps.len != n * 8 || (size_t)out.len != n * 8) {
        PyErr_SetString(PyExc_ValueError, "marker_distances: positions and out must be int64 arrays of one length");
        goto done;
    }
    const int64_t *pos = (const int64_t *)ps.buf;
    for (size_t i = 0; i < n; i++)
        if (pos[i] < 0 || (uint64_t)pos[i] > (uint64_t)bf.len || (uint64_t)bf.len - (uint64_t)pos[i] < (uint64_t)mk.len) {
            PyErr_Format(PyExc_ValueError, "positions[%zd] = %lld: the %zd-octet marker does not fit the buffer of %zd octets",
                         (Py_ssize_t)i, (long long)pos[i], mk.len, bf.len);
            goto done;
        }
    const uint8_t *base = (const uint8_t *)bf.buf, *m = (const uint8_t *)mk.buf;
    int64_t *o = (int64_t *)out.buf;
    for (size_t i = 0; i < n; i++) {
        int64_t d = 0;
        const uint8_t *p = base + pos[i];
        Py_ssize_t j = 0;
        for (; j + 8 <= mk.len; j += 8) d += popcount64(ld64(p + j) ^ ld64(m + j));
        for (; j < mk.len; j++) d += popcount64((uint64_t)(p[j] ^ m[j]));
        o[i] = d;
    }
    res = Py_None;
    Py_INCREF(res);
done:
    PyBuffer_Release(&bf);
    PyBuffer_Release(&ps);
    PyBuffer_Release(&mk);
    PyBuffer_Release(&out);
    return res;
}

static PyObject *py_variants(PyObject *self, PyObject *noargs) {
    (void)self;
    (void)noargs;
    PyObject *names[3];
    Py_ssize_t count = 0;
    for (int v = V_GFNI; v >= V_PORTABLE; v--)
        if (supported[v]) names[count++] = PyUnicode_FromString(variant_names[v]);
    PyObject *t = PyTuple_New(count);
    if (!t) return NULL;
    for (Py_ssize_t i = 0; i < count; i++) PyTuple_SET_ITEM(t, i, names[i]);
    return t;
}

static PyObject *py_select(PyObject *self, PyObject *arg) {
    (void)self;
    const char *name = PyUnicode_AsUTF8(arg);
    if (!name) return NULL;
    for (int v = 0; v < 3; v++)
        if (strcmp(name, variant_names[v]) == 0) {
            if (!supported[v]) {
                PyErr_Format(PyExc_ValueError, "kernel variant %s is not supported by this CPU", name);
                return NULL;
            }
            active_variant = v;
            Py_RETURN_NONE;
        }
    PyErr_Format(PyExc_ValueError, "unknown kernel variant %R", arg);
    return NULL;
}

static PyObject *py_active(PyObject *self, PyObject *noargs) {
    (void)self;
    (void)noargs;
    return PyUnicode_FromString(variant_names[active_variant]);
}

static PyMethodDef methods[] = {
    {"variants", py_variants, METH_NOARGS, "variants() -> names of the kernel variants this CPU runs, best first"},
    {"select", py_select, METH_O, "select(name): use this variant in this process"},
    {"active", py_active, METH_NOARGS, "active() -> the variant in use"},
    {"parity", py_parity, METH_VARARGS, "parity(tables, k, nroots, fcr, info, kp, depth, out)"},
    {"encode", py_encode, METH_VARARGS, "encode(tables, k, nroots, fcr, frames, L, depth, marker, sequence, out)"},
    {"decode", py_decode, METH_VARARGS,
     "decode(tables, k, nroots, fcr, buf, offsets, L, depth, sequence, frames_out, corrected_out, uncorrectable_out)"},
    {"find_marker", py_find_marker, METH_VARARGS, "find_marker(buf, start, stop, marker) -> offset or -1"},
    {"marker_distances", py_marker_distances, METH_VARARGS, "marker_distances(buf, positions, marker, out)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "Compiled CCSDS 131.0-B-3 coding kernels (RS parity, fused CADU encode/decode, marker search) with CPU dispatch.",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__kernels(void) {
#if OC_X86
    __builtin_cpu_init();
    supported[V_AVX2] = __builtin_cpu_supports("avx2");
    supported[V_GFNI] = supported[V_AVX2] && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi") &&
                        __builtin_cpu_supports("gfni");
#endif
    active_variant = supported[V_GFNI] ? V_GFNI : supported[V_AVX2] ? V_AVX2 : V_PORTABLE;
    PyObject *m = PyModule_Create(&module);
    /* The table blob layout (OFF_* here, _OFF_* in kernels.py): kernels.py refuses a module built
       from another layout (a stale in-place build) and runs the numpy model instead. */
    if (m && PyModule_AddIntConstant(m, "TABLE_LAYOUT", OC_TABLE_LAYOUT) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
