/* CCSDS 131.0-B-3 sections 4, 9 and 10, written from the Blue Book (see ccsds.h). */
#include "ccsds.h"

#include <stdlib.h>
#include <string.h>

/* ---- normative constants (net-optical-isl 1.0.0 parameters) ------------------------------ */

const uint8_t ccsds_asm[ASM_LEN] = {0x1A, 0xCF, 0xFC, 0x1D}; /* attached_sync_marker */
#define FIELD_POLY 0x187      /* rs_field_polynomial F(x) = x^8 + x^7 + x^2 + x + 1 */
#define FIRST_ROOT 112        /* rs_first_consecutive_root j0 */
#define GEN_EXPONENT 11       /* rs_generator_exponent: roots (alpha^11)^j, j = 112 .. 143 */
#define DUAL_EXPONENT 117     /* Annex F: beta = alpha^117 */
#define RANDOMIZER_SEED 0xFF  /* randomizer_seed: all ones at the first bit of each codeblock */
/* randomizer_polynomial h(x) = x^8 + x^7 + x^5 + x^3 + 1 (0x1A9) */

static const int depths[] = {1, 2, 3, 4, 5, 8}; /* rs_interleaving_depths */

/* ---- GF(2^8) defined by F(x); alpha = x (the octet 0x02) ------------------------------------ */

static uint8_t gf_exp[255];      /* alpha^i */
static int gf_log[256];          /* log_alpha; gf_log[0] unused */
static uint8_t gf_mul[256][256]; /* products, conventional representation */

static uint8_t alpha_pow(long e) {
    e %= 255;
    if (e < 0) e += 255;
    return gf_exp[e];
}

static uint8_t gf_div(uint8_t a, uint8_t b) { /* b != 0 */
    if (a == 0) return 0;
    return alpha_pow((long)gf_log[a] - gf_log[b]);
}

/* Tr(y) = y + y^2 + y^4 + ... + y^128, an element of GF(2): 0 or 1. */
static int gf_trace(uint8_t y) {
    uint8_t t = 0, p = y;
    for (int i = 0; i < 8; i++) {
        t ^= p;
        p = gf_mul[p][p];
    }
    return t; /* 0 or 1 for a true field */
}

/* ---- Annex F: Berlekamp dual basis ------------------------------------------------------------
 * The conventional representation of a symbol x is (c_0..c_7), x = sum c_i alpha^i (octet bit i).
 * Its dual-basis representation (z_0..z_7) is its coordinate vector in the basis {l_0..l_7} dual
 * to {1, beta, ..., beta^7} under the trace (Tr(l_i beta^j) = 1 iff i = j), so
 * z_j = Tr(x beta^j) = sum_i c_i Tr(alpha^i beta^j): z = T c with T[j][i] = Tr(alpha^i beta^j).
 * z_0 is the first transmitted bit, the most significant bit of the octet. */
static uint8_t to_dual[256], to_conv[256];

/* Apply an 8x8 GF(2) matrix given as rows (row j = bit mask over the input bits i). */
static uint8_t mat_apply(const uint8_t rows[8], uint8_t v) {
    uint8_t out = 0;
    for (int j = 0; j < 8; j++) {
        uint8_t b = rows[j] & v, par = 0;
        while (b) {
            par ^= 1;
            b &= (uint8_t)(b - 1);
        }
        out |= (uint8_t)(par << j);
    }
    return out;
}

/* Invert an 8x8 GF(2) matrix (rows as bit masks); 0 on success, -1 if singular. */
static int mat_invert(const uint8_t in[8], uint8_t out[8]) {
    uint8_t a[8], b[8];
    for (int j = 0; j < 8; j++) {
        a[j] = in[j];
        b[j] = (uint8_t)(1u << j);
    }
    for (int col = 0; col < 8; col++) {
        int piv = -1;
        for (int r = col; r < 8; r++)
            if (a[r] >> col & 1) {
                piv = r;
                break;
            }
        if (piv < 0) return -1;
        uint8_t t = a[piv]; a[piv] = a[col]; a[col] = t;
        t = b[piv]; b[piv] = b[col]; b[col] = t;
        for (int r = 0; r < 8; r++)
            if (r != col && (a[r] >> col & 1)) {
                a[r] ^= a[col];
                b[r] ^= b[col];
            }
    }
    memcpy(out, b, 8);
    return 0;
}

static int build_dual_basis(void) {
    uint8_t t[8], tinv[8]; /* rows: output coordinate j (z_j resp. c_j) */
    for (int j = 0; j < 8; j++) {
        uint8_t beta_j = alpha_pow((long)DUAL_EXPONENT * j);
        t[j] = 0;
        for (int i = 0; i < 8; i++)
            if (gf_trace(gf_mul[gf_exp[i]][beta_j])) t[j] |= (uint8_t)(1u << i);
    }
    if (mat_invert(t, tinv) != 0) return -1; /* {1, beta, ..., beta^7} would not be a basis */
    for (int v = 0; v < 256; v++) {
        uint8_t z = mat_apply(t, (uint8_t)v), w = 0;
        for (int j = 0; j < 8; j++) w |= (uint8_t)((z >> j & 1) << (7 - j)); /* z_0 = MSB */
        to_dual[v] = w;
    }
    for (int w = 0; w < 256; w++) {
        uint8_t z = 0;
        for (int j = 0; j < 8; j++) z |= (uint8_t)((w >> (7 - j) & 1) << j);
        to_conv[w] = mat_apply(tinv, z);
    }
    for (int v = 0; v < 256; v++)
        if (to_conv[to_dual[v]] != v) return -1;
    return 0;
}

/* ---- section 4: code generator g(x) = prod_{j=112}^{143} (x - alpha^{11 j}) ----------------- */

static uint8_t gen[RS_NROOTS + 1]; /* coefficients, gen[d] of x^d; monic */
static uint8_t root[RS_NROOTS];    /* alpha^{11 (112 + j)}, j = 0 .. 31 */
/* The division by g(x) works on the 32-octet remainder register held in four 64-bit words: octet
 * i (the coefficient of x^{31-i}) is bits 8*(i%8) .. 8*(i%8)+7 of word i/8 (an arithmetic packing,
 * independent of the machine's byte order). feedback[f] packs f * gen[31 - i], i = 0 .. 31. */
typedef struct {
    uint64_t w[4];
} reg32;
static reg32 feedback[256];

static void build_generator(void) {
    memset(gen, 0, sizeof gen);
    gen[0] = 1;
    for (int j = 0; j < RS_NROOTS; j++) {
        root[j] = alpha_pow((long)GEN_EXPONENT * (FIRST_ROOT + j));
        /* gen *= (x + root) (characteristic 2: minus is plus) */
        for (int d = j + 1; d >= 1; d--) gen[d] = gen[d - 1] ^ gf_mul[gen[d]][root[j]];
        gen[0] = gf_mul[gen[0]][root[j]];
    }
    for (int f = 0; f < 256; f++) {
        memset(&feedback[f], 0, sizeof feedback[f]);
        for (int i = 0; i < RS_NROOTS; i++)
            feedback[f].w[i / 8] |= (uint64_t)gf_mul[f][gen[RS_NROOTS - 1 - i]] << (8 * (i % 8));
    }
}

/* One step of the division by g(x): the register R(x) (the remainder so far) becomes the
 * remainder of R(x) x + sym x^32, i.e. shift by one octet towards octet 0 (the highest power)
 * and add the feedback (sym + octet 0) * g(x). Fed with a codeword's information symbols,
 * highest power first, from zero, the register ends with M(x) x^32 mod g(x). */
static inline void divide_step(reg32 *r, uint8_t sym) {
    const reg32 *f = &feedback[(uint8_t)(sym ^ (uint8_t)r->w[0])];
    r->w[0] = (r->w[0] >> 8 | r->w[1] << 56) ^ f->w[0];
    r->w[1] = (r->w[1] >> 8 | r->w[2] << 56) ^ f->w[1];
    r->w[2] = (r->w[2] >> 8 | r->w[3] << 56) ^ f->w[2];
    r->w[3] = (r->w[3] >> 8) ^ f->w[3];
}

static inline uint8_t reg_octet(const reg32 *r, int i) { return (uint8_t)(r->w[i / 8] >> (8 * (i % 8))); }

/* ---- section 10: pseudo-randomizer ---------------------------------------------------------------
 * Output bits a_t with a_0..a_7 = the all-ones seed and, from h(x) = x^8 + x^7 + x^5 + x^3 + 1,
 * a_{t+8} = a_{t+7} + a_{t+5} + a_{t+3} + a_t; first bit = MSB of the first codeblock octet. */
static uint8_t pn[MAX_CODEBLOCK];

static void build_randomizer(void) {
    uint8_t bits[8 * MAX_CODEBLOCK];
    for (int t = 0; t < 8; t++) bits[t] = (uint8_t)(RANDOMIZER_SEED >> (7 - t) & 1);
    for (size_t t = 0; t + 8 < sizeof bits; t++) bits[t + 8] = bits[t + 7] ^ bits[t + 5] ^ bits[t + 3] ^ bits[t];
    for (size_t o = 0; o < MAX_CODEBLOCK; o++) {
        uint8_t v = 0;
        for (int b = 0; b < 8; b++) v = (uint8_t)(v << 1 | bits[8 * o + b]);
        pn[o] = v;
    }
}

void ccsds_randomize(uint8_t *block, size_t len) {
    if (len > MAX_CODEBLOCK) len = MAX_CODEBLOCK;
    for (size_t i = 0; i < len; i++) block[i] ^= pn[i];
}

int ccsds_init(void) {
    unsigned x = 1;
    int seen[256] = {0};
    for (int i = 0; i < 255; i++) {
        gf_exp[i] = (uint8_t)x;
        if (seen[x]++) return -1; /* F(x) not primitive */
        gf_log[x] = i;
        x <<= 1;
        if (x & 0x100) x ^= FIELD_POLY;
    }
    gf_log[0] = 0;
    for (int a = 0; a < 256; a++)
        for (int b = 0; b < 256; b++)
            gf_mul[a][b] = (a && b) ? gf_exp[(gf_log[a] + gf_log[b]) % 255] : 0;
    if (build_dual_basis() != 0) return -1;
    build_generator();
    build_randomizer();
    return 0;
}

int ccsds_depth_ok(long long depth) {
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++)
        if (depths[i] == depth) return 1;
    return 0;
}

int ccsds_frame_length_ok(long long len, int depth) {
    return depth > 0 && len > 0 && len % depth == 0 && len / depth >= 1 && len / depth <= RS_K;
}

size_t ccsds_codeblock_length(size_t len, int depth) { return len + (size_t)RS_NROOTS * (size_t)depth; }

/* ---- encoder ----------------------------------------------------------------------------------
 * Codeword k of the codeblock holds symbols j = 0 .. kp+31 at positions j*I + k (section 4
 * interleaving); the Q = 223 - kp virtual fill zeros would precede them and change nothing in
 * the remainder, so they are not entered. Information symbol j is the coefficient of
 * x^{kp+31-j}; the check symbols are the remainder of M(x) x^32 divided by g(x), highest first. */
void ccsds_encode_cadu(const uint8_t *frame, size_t len, int depth, int randomize, uint8_t *out) {
    size_t I = (size_t)depth, kp = len / I;
    uint8_t *block = out + ASM_LEN;
    memcpy(out, ccsds_asm, ASM_LEN);
    memcpy(block, frame, len); /* systematic: info symbol j of codeword k is frame[j*I + k] */
    for (size_t k = 0; k < I; k++) {
        reg32 reg = {{0, 0, 0, 0}}; /* octet i: coefficient of x^{31-i} of the remainder */
        for (size_t j = 0; j < kp; j++) divide_step(&reg, to_conv[frame[j * I + k]]);
        for (int m = 0; m < RS_NROOTS; m++) block[(kp + (size_t)m) * I + k] = to_dual[reg_octet(&reg, m)];
    }
    if (randomize) ccsds_randomize(block, ccsds_codeblock_length(len, depth));
}

/* ---- decoder ------------------------------------------------------------------------------- */

/* Syndromes S_j = r(alpha^{11 (112 + j)}), j = 0 .. 31, of r[0..nn-1] (r[t] the coefficient
 * of x^{nn-1-t}). Since g(x) vanishes at every alpha^{11 (112 + j)}, r(x) and its remainder
 * modulo g(x) have the same syndromes: the remainder (the re-encoded check symbols XOR the
 * received ones) is computed first, and a zero remainder (the common, clean case) means zero
 * syndromes at once. Returns 1 when all syndromes are zero. */
static int syndromes(const uint8_t *r, size_t nn, uint8_t s[RS_NROOTS]) {
    uint8_t rem[RS_NROOTS], any = 0;
    size_t kp = nn - RS_NROOTS;
    reg32 reg = {{0, 0, 0, 0}};
    for (size_t t = 0; t < kp; t++) divide_step(&reg, r[t]);
    for (int i = 0; i < RS_NROOTS; i++) {
        rem[i] = reg_octet(&reg, i) ^ r[kp + (size_t)i];
        any |= rem[i];
    }
    if (!any) {
        memset(s, 0, RS_NROOTS);
        return 1;
    }
    for (int j = 0; j < RS_NROOTS; j++) { /* Horner over the 32 remainder coefficients */
        const uint8_t *row = gf_mul[root[j]];
        uint8_t acc = 0;
        for (int i = 0; i < RS_NROOTS; i++) acc = row[acc] ^ rem[i];
        s[j] = acc;
    }
    return 0;
}

/* Correct one codeword r[0..nn-1] (conventional representation) in place. Returns the number of
 * symbols corrected (0 for a clean codeword), or -1 when uncorrectable (r is then unchanged). */
static int decode_codeword(uint8_t *r, size_t nn) {
    uint8_t s[RS_NROOTS];
    if (syndromes(r, nn, s)) return 0;

    /* Berlekamp-Massey: shortest LFSR Lambda(x) (Lambda_0 = 1) generating S_0 .. S_31. */
    uint8_t lam[RS_NROOTS + 1] = {1}, prev[RS_NROOTS + 1] = {1}, tmp[RS_NROOTS + 1];
    int L = 0, shift = 1;
    uint8_t prev_disc = 1;
    for (int n = 0; n < RS_NROOTS; n++) {
        uint8_t d = s[n];
        for (int i = 1; i <= L; i++) d ^= gf_mul[lam[i]][s[n - i]];
        if (d == 0) {
            shift++;
            continue;
        }
        uint8_t f = gf_div(d, prev_disc);
        memcpy(tmp, lam, sizeof lam);
        for (int i = 0; i + shift <= RS_NROOTS; i++) lam[i + shift] ^= gf_mul[f][prev[i]];
        if (2 * L <= n) {
            L = n + 1 - L;
            memcpy(prev, tmp, sizeof prev);
            prev_disc = d;
            shift = 1;
        } else {
            shift++;
        }
    }
    if (L < 1 || L > RS_E) return -1;
    for (int i = L + 1; i <= RS_NROOTS; i++)
        if (lam[i]) return -1;

    /* Chien search over the transmitted positions only: X = gamma^i (gamma = alpha^11) is an
     * error location of x^i when Lambda(X^{-1}) = 0; a root in the virtual fill is not found. */
    int where[RS_E];
    int nroots = 0;
    uint8_t term[RS_E + 1], step[RS_E + 1];
    for (int d = 0; d <= L; d++) {
        term[d] = lam[d];
        step[d] = alpha_pow(-(long)GEN_EXPONENT * d);
    }
    for (size_t i = 0; i < nn; i++) {
        uint8_t v = 0;
        for (int d = 0; d <= L; d++) {
            v ^= term[d];
            term[d] = gf_mul[term[d]][step[d]];
        }
        if (v == 0) {
            if (nroots == L) return -1;
            where[nroots++] = (int)i;
        }
    }
    if (nroots != L) return -1;

    /* Forney: Omega(x) = S(x) Lambda(x) mod x^32, e = X^{1-j0} Omega(X^{-1}) / Lambda'(X^{-1}). */
    uint8_t omega[RS_NROOTS];
    for (int k = 0; k < RS_NROOTS; k++) {
        uint8_t v = 0;
        for (int d = 0; d <= L && d <= k; d++) v ^= gf_mul[lam[d]][s[k - d]];
        omega[k] = v;
    }
    uint8_t fixed[RS_N];
    memcpy(fixed, r, nn);
    for (int m = 0; m < nroots; m++) {
        long i = where[m];
        long xinv = -(long)GEN_EXPONENT * i; /* log_alpha of X^{-1} */
        uint8_t om = 0, de = 0;
        for (int k = 0; k < RS_NROOTS; k++)
            if (omega[k]) om ^= gf_mul[omega[k]][alpha_pow(xinv * k)];
        for (int d = 1; d <= L; d += 2) /* formal derivative: odd terms, x^{d-1} */
            if (lam[d]) de ^= gf_mul[lam[d]][alpha_pow(xinv * (d - 1))];
        if (om == 0 || de == 0) return -1;
        uint8_t e = gf_mul[gf_div(om, de)][alpha_pow((long)GEN_EXPONENT * i * (1 - FIRST_ROOT))];
        fixed[nn - 1 - (size_t)i] ^= e;
    }
    /* Accept only a valid codeword. */
    if (!syndromes(fixed, nn, s)) return -1;
    memcpy(r, fixed, nn);
    return L;
}

int ccsds_decode_codeblock(const uint8_t *block, size_t block_len, int depth, uint8_t *frame_out, int *corrected) {
    size_t I = (size_t)depth, nn = block_len / I, kp = nn - RS_NROOTS, len = kp * I;
    int total = 0, ok = 1;
    memcpy(frame_out, block, len);
    for (size_t k = 0; k < I; k++) {
        uint8_t r[RS_N];
        for (size_t j = 0; j < nn; j++) r[j] = to_conv[block[j * I + k]];
        int c = decode_codeword(r, nn);
        if (c < 0) {
            ok = 0;
            continue;
        }
        if (c > 0)
            for (size_t j = 0; j < kp; j++) frame_out[j * I + k] = to_dual[r[j]];
        total += c;
    }
    if (!ok) {
        memcpy(frame_out, block, len);
        total = 0;
    }
    *corrected = total;
    return ok;
}

/* ---- section 9: frame synchronization ------------------------------------------------------------
 * Search: byte-aligned, exact marker, confirmed by a marker (within the lock tolerance) one CADU
 * later or by the end of the stream coming first. Lock (flywheel): markers expected every CADU,
 * accepted within MARKER_LOCK_TOLERANCE bit errors. On a missing marker the search resumes just
 * after the last accepted marker, so a slip inside the last codeblock loses nothing later. */
static int marker_distance(const uint8_t *p) {
    int d = 0;
    for (int i = 0; i < ASM_LEN; i++) {
        uint8_t b = p[i] ^ ccsds_asm[i];
        while (b) {
            d++;
            b &= (uint8_t)(b - 1);
        }
    }
    return d;
}

int ccsds_find_codeblocks(const uint8_t *stream, size_t size, size_t block_len, size_t **offsets, size_t *count) {
    size_t *out = NULL, n = 0, cap = 0;
    *offsets = NULL;
    *count = 0;
    if (size < ASM_LEN || block_len == 0) return 0;
    const size_t last = size - ASM_LEN, period = block_len + ASM_LEN;
    size_t pos = 0;
    for (;;) {
        size_t start = 0;
        int found = 0;
        while (pos <= last) {
            const uint8_t *hit = memchr(stream + pos, ccsds_asm[0], last - pos + 1);
            if (!hit) break;
            size_t o = (size_t)(hit - stream);
            pos = o + 1;
            if (memcmp(hit, ccsds_asm, ASM_LEN) != 0) continue;
            if (o + period > last || marker_distance(stream + o + period) <= MARKER_LOCK_TOLERANCE) {
                start = o;
                found = 1;
                break;
            }
        }
        if (!found) break;
        size_t run = 1;
        while (start + run * period <= last && marker_distance(stream + start + run * period) <= MARKER_LOCK_TOLERANCE)
            run++;
        for (size_t r = 0; r < run; r++) {
            size_t off = start + r * period + ASM_LEN;
            if (off + block_len > size) break;
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                size_t *grown = realloc(out, ncap * sizeof *out);
                if (!grown) {
                    free(out);
                    return -1;
                }
                out = grown;
                cap = ncap;
            }
            out[n++] = off;
        }
        if (start + run * period > last) break;
        pos = start + (run - 1) * period + 1;
    }
    *offsets = out;
    *count = n;
    return 0;
}
