/* Standard base64 with padding (RFC 4648 section 4). */
#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encoded_length(size_t len) { return (len + 2) / 3 * 4; }

void b64_encode(const uint8_t *in, size_t len, char *out) {
    size_t i = 0, o = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = '=';
    }
}

/* Value of each character (64 for a character outside the alphabet), built on first use. */
static uint8_t values[256];
static int values_ready;

static void build_values(void) {
    for (int c = 0; c < 256; c++) values[c] = 64;
    for (int v = 0; v < 64; v++) values[(unsigned char)alphabet[v]] = (uint8_t)v;
    values_ready = 1;
}

static int value_of(unsigned char c) { return values[c] == 64 ? -1 : values[c]; }

long long b64_decode(const char *in, size_t len, uint8_t *out) {
    if (len % 4) return -1;
    if (!values_ready) build_values();
    size_t o = 0, i = 0;
    /* Fast path: every quantum but the last (which may hold padding). */
    for (; i + 4 < len; i += 4) {
        const unsigned char *q = (const unsigned char *)in + i;
        unsigned a = values[q[0]], b = values[q[1]], c = values[q[2]], d = values[q[3]];
        if ((a | b | c | d) & 64) return -1;
        uint32_t w = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
        out[o++] = (uint8_t)(w >> 16);
        out[o++] = (uint8_t)(w >> 8 & 0xFF);
        out[o++] = (uint8_t)(w & 0xFF);
    }
    for (; i < len; i += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)in[i + j];
            if (c == '=' && i + 4 == len && j >= 2) {
                v[j] = 0;
                pad++;
                continue;
            }
            if (pad) return -1; /* data after padding */
            v[j] = value_of(c);
            if (v[j] < 0) return -1;
        }
        if (pad == 1 && in[i + 2] == '=') return -1; /* "x=y=" */
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (uint8_t)(w >> 16);
        if (pad < 2) out[o++] = (uint8_t)(w >> 8 & 0xFF);
        if (pad < 1) out[o++] = (uint8_t)(w & 0xFF);
    }
    return (long long)o;
}
