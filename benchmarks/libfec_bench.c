/*
 * Timing loops for libfec (Debian libfec0), the CCSDS Reed-Solomon codec ground stations use,
 * for benchmarks/bench_golden.py.
 *
 * bench_golden.py compiles this file with `gcc -O2 -shared -fPIC ... -lfec` into a temporary
 * directory and calls each function ONCE per measurement through ctypes: the loop over all
 * codeblocks runs here and is timed here with clock_gettime(CLOCK_THREAD_CPUTIME_ID), so the
 * ctypes call overhead is not counted. Each function returns the thread CPU seconds it spent.
 *
 * The work matches one operation of the golden model (CCSDS 131.0-B-3):
 *   libfec_encode_cadus: frames -> CADUs. Per frame: split the frame into I codewords (symbol j
 *     of codeword k at j*I + k, section 4 interleaving), RS(255,223) encode each with
 *     encode_rs_ccsds (dual basis, Annex F; pad = 223 - L/I virtual-fill symbols for shortened
 *     frames), write the attached sync marker (section 9), the frame and the interleaved check
 *     symbols, XORing the codeblock with the pseudo-randomizer sequence (section 10) if given.
 *   libfec_decode_codeblocks: located codeblocks -> frames. Per codeblock at a given offset (the
 *     marker search is NOT included: offsets are passed in): de-randomize, split into codewords,
 *     decode_rs_ccsds each, and write the corrected information part; when any codeword of the
 *     codeblock is uncorrectable (-1) the row holds the received (de-randomized) information part
 *     unchanged, as the golden model's rs_decode_batch does.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

/* The two entry points of libfec used here (dual-basis CCSDS (255,223) code, E = 16). */
void encode_rs_ccsds(unsigned char *data, unsigned char *parity, int pad);
int decode_rs_ccsds(unsigned char *data, int *eras_pos, int no_eras, int pad);

#define RS_N 255
#define RS_K 223
#define RS_CHECK 32

static double thread_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* frames: n x length octets; out: n x (marker_len + length + 32 * depth) octets; sequence: one
 * codeblock's worth (length + 32 * depth octets) of the randomizer sequence, or NULL.
 * Returns thread CPU seconds, or -1.0 on bad arguments. */
double libfec_encode_cadus(const uint8_t *frames, int64_t n, int length, int depth, const uint8_t *marker,
                           int marker_len, const uint8_t *sequence, uint8_t *out)
{
    if (depth < 1 || depth > 8 || length % depth || length / depth < 1 || length / depth > RS_K || n < 0)
        return -1.0;
    const int kp = length / depth;
    const int pad = RS_K - kp;
    const int block = length + RS_CHECK * depth;
    const int cadu = marker_len + block;
    uint8_t data[RS_K];
    uint8_t parity[RS_CHECK];
    double start = thread_seconds();
    for (int64_t f = 0; f < n; f++) {
        const uint8_t *frame = frames + f * (int64_t)length;
        uint8_t *dst = out + f * (int64_t)cadu;
        memcpy(dst, marker, (size_t)marker_len);
        uint8_t *cb = dst + marker_len;
        memcpy(cb, frame, (size_t)length);
        for (int k = 0; k < depth; k++) {
            for (int j = 0; j < kp; j++)
                data[j] = frame[j * depth + k];
            encode_rs_ccsds(data, parity, pad);
            for (int b = 0; b < RS_CHECK; b++)
                cb[length + b * depth + k] = parity[b];
        }
        if (sequence)
            for (int i = 0; i < block; i++)
                cb[i] ^= sequence[i];
    }
    return thread_seconds() - start;
}

/* buf: the capture; offsets: n offsets of each codeblock's first octet (after the marker);
 * frames_out: n x length; corrected_out: n x depth (symbols corrected per codeword, -1 =
 * uncorrectable); uncorrectable_out: n flags. Returns thread CPU seconds, or -1.0 on bad
 * arguments (an offset outside the buffer included). */
double libfec_decode_codeblocks(const uint8_t *buf, int64_t buf_len, const int64_t *offsets, int64_t n, int length,
                                int depth, const uint8_t *sequence, uint8_t *frames_out, int64_t *corrected_out,
                                uint8_t *uncorrectable_out)
{
    if (depth < 1 || depth > 8 || length % depth || length / depth < 1 || length / depth > RS_K || n < 0)
        return -1.0;
    const int kp = length / depth;
    const int pad = RS_K - kp;
    const int block = length + RS_CHECK * depth;
    for (int64_t i = 0; i < n; i++)
        if (offsets[i] < 0 || offsets[i] > buf_len - block)
            return -1.0;
    uint8_t received[RS_N * 8];
    uint8_t codeword[RS_N];
    double start = thread_seconds();
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *src = buf + offsets[i];
        if (sequence)
            for (int t = 0; t < block; t++)
                received[t] = src[t] ^ sequence[t];
        else
            memcpy(received, src, (size_t)block);
        uint8_t *frame = frames_out + i * (int64_t)length;
        int64_t *counts = corrected_out + i * (int64_t)depth;
        memcpy(frame, received, (size_t)length);
        int bad = 0;
        for (int k = 0; k < depth; k++) {
            for (int j = 0; j < kp + RS_CHECK; j++)
                codeword[j] = received[j * depth + k];
            int result = decode_rs_ccsds(codeword, NULL, 0, pad);
            counts[k] = result;
            if (result < 0) {
                bad = 1;
            } else if (result > 0) {
                for (int j = 0; j < kp; j++)
                    frame[j * depth + k] = codeword[j];
            }
        }
        uncorrectable_out[i] = (uint8_t)bad;
        if (bad)
            memcpy(frame, received, (size_t)length);
    }
    return thread_seconds() - start;
}
