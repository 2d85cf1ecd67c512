/* c-coding-example: the "coding" class of net-optical-isl (CCSDS 131.0-B-3 sections 4, 9, 10)
 * behind orbitcert's out-of-process protocol: JSON lines on stdin/stdout, one reply per request.
 * Diagnostics go to stderr; stdout carries protocol lines only. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "ccsds.h"
#include "json.h"

#define MAX_LINE ((size_t)64 << 20) /* 4x the harness's 16 MiB message limit */

/* ---- replies ----------------------------------------------------------------------------- */

static void write_reply(jbuf *out) {
    if (out->failed) return;
    jbuf_append(out, "\n", 1);
    if (out->failed) return;
    size_t done = 0;
    while (done < out->len) {
        ssize_t n = write(STDOUT_FILENO, out->data + done, out->len - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "c-coding: cannot write the reply (%s); exiting\n", strerror(errno));
            exit(1);
        }
        done += (size_t)n;
    }
}

static void send_error(long long id, const char *type, const char *message) {
    jbuf b = {0};
    jbuf_puts(&b, "{\"id\":");
    jbuf_int(&b, id);
    jbuf_puts(&b, ",\"error\":{\"type\":");
    jbuf_string(&b, type, strlen(type));
    jbuf_puts(&b, ",\"message\":");
    jbuf_string(&b, message, strlen(message));
    jbuf_puts(&b, "}}");
    write_reply(&b);
    jbuf_free(&b);
}

/* Send a finished result reply, or a MemoryError when building it failed. */
static void send_result(long long id, jbuf *b) {
    if (b->failed) {
        send_error(id, "MemoryError", "out of memory while building the reply");
        return;
    }
    write_reply(b);
}

/* Printable-ASCII excerpt of untrusted text, for error messages. */
static void excerpt(const char *s, size_t n, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < cap; i++) out[o++] = (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
    if (n > 0 && o + 4 >= cap) {
        out[o++] = '.';
        out[o++] = '.';
        out[o++] = '.';
    }
    out[o] = '\0';
}

/* ---- argument checks ----------------------------------------------------------------------- */

/* Refuse arguments outside `allowed` (the schemas say additionalProperties: false). */
static int check_keys(long long id, const jvalue *args, const char *const *allowed) {
    for (size_t i = 0; i < args->len; i++) {
        const jmember *m = &args->members[i];
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strlen(*a) == m->key_len && memcmp(*a, m->key, m->key_len) == 0) ok = 1;
        if (!ok) {
            char name[80], msg[160];
            excerpt(m->key, m->key_len, name, sizeof name);
            snprintf(msg, sizeof msg, "unexpected argument '%s'", name);
            send_error(id, "ValueError", msg);
            return -1;
        }
    }
    return 0;
}

static int get_depth(long long id, const jvalue *args, int *depth) {
    const jvalue *v = json_get(args, "interleave");
    if (!v || v->type != J_INT || !ccsds_depth_ok(v->integer)) {
        send_error(id, "ValueError",
                   v ? "interleave: must be an allowed interleaving depth (1, 2, 3, 4, 5 or 8; CCSDS 131.0-B-3 section 4)"
                     : "interleave: required argument missing");
        return -1;
    }
    *depth = (int)v->integer;
    return 0;
}

static int get_randomize(long long id, const jvalue *args, int *randomize) {
    const jvalue *v = json_get(args, "randomize");
    if (!v) {
        *randomize = 1;
        return 0;
    }
    if (v->type != J_BOOL) {
        send_error(id, "ValueError", "randomize: must be a boolean");
        return -1;
    }
    *randomize = v->boolean;
    return 0;
}

/* ---- operations ----------------------------------------------------------------------------- */

static void op_hello(long long id) {
    jbuf b = {0};
    jbuf_puts(&b, "{\"id\":");
    jbuf_int(&b, id);
    jbuf_puts(&b, ",\"result\":{\"name\":\"c-coding-example\",\"version\":\"1.0.0\","
                  "\"supplier\":\"orbitcert examples\",\"operations\":[\"encode\",\"decode\"]}}");
    send_result(id, &b);
    jbuf_free(&b);
}

static void op_encode(long long id, const jvalue *args) {
    static const char *const allowed[] = {"frames", "interleave", "randomize", NULL};
    int depth, randomize;
    if (check_keys(id, args, allowed) || get_depth(id, args, &depth) || get_randomize(id, args, &randomize)) return;
    const jvalue *frames = json_get(args, "frames");
    if (!frames || frames->type != J_ARRAY) {
        send_error(id, "ValueError", frames ? "frames: must be an array of base64 strings" : "frames: required argument missing");
        return;
    }
    size_t count = frames->len, len = 0, longest = 0, cadu = 0, total = 0;
    for (size_t i = 0; i < count; i++) {
        if (frames->items[i].type != J_STRING) {
            send_error(id, "ValueError", "frames: every frame must be a base64 string");
            return;
        }
        if (frames->items[i].len > longest) longest = frames->items[i].len;
    }
    uint8_t *frame = malloc(longest / 4 * 3 + 1), *cadus = NULL;
    if (!frame) goto nomem;
    for (size_t i = 0; i < count; i++) {
        const jvalue *f = &frames->items[i];
        char msg[256];
        long long n = b64_decode(f->str, f->len, frame);
        if (n < 0) {
            snprintf(msg, sizeof msg, "frames[%zu]: invalid base64 (RFC 4648 section 4, with padding)", i);
            send_error(id, "ValueError", msg);
            goto done;
        }
        if (i == 0) {
            len = (size_t)n;
            if (!ccsds_frame_length_ok((long long)len, depth)) {
                snprintf(msg, sizeof msg,
                         "frame length %zu is invalid for interleave=%d: it must be a multiple of the depth with "
                         "1 <= L/I <= %d (CCSDS 131.0-B-3 section 4, virtual fill)",
                         len, depth, RS_K);
                send_error(id, "ValueError", msg);
                goto done;
            }
            cadu = ASM_LEN + ccsds_codeblock_length(len, depth);
            if (count > SIZE_MAX / cadu) goto nomem;
            total = count * cadu;
            cadus = malloc(total);
            if (!cadus) goto nomem;
        } else if ((size_t)n != len) {
            snprintf(msg, sizeof msg, "frames: all frames of a CADU stream must have the same length (frames[%zu] has %lld octets, frames[0] %zu)", i, n, len);
            send_error(id, "ValueError", msg);
            goto done;
        }
        ccsds_encode_cadu(frame, len, depth, randomize, cadus + i * cadu);
    }
    {
        jbuf b = {0};
        size_t chars = b64_encoded_length(total);
        jbuf_puts(&b, "{\"id\":");
        jbuf_int(&b, id);
        jbuf_puts(&b, ",\"result\":\"");
        jbuf_reserve(&b, chars + 8);
        if (!b.failed) {
            b64_encode(cadus, total, b.data + b.len);
            b.len += chars;
        }
        jbuf_puts(&b, "\"}");
        send_result(id, &b);
        jbuf_free(&b);
    }
    goto done;
nomem:
    send_error(id, "MemoryError", "out of memory");
done:
    free(frame);
    free(cadus);
}

static void op_decode(long long id, const jvalue *args) {
    static const char *const allowed[] = {"stream", "frame_length", "interleave", "randomize", NULL};
    int depth, randomize;
    if (check_keys(id, args, allowed) || get_depth(id, args, &depth) || get_randomize(id, args, &randomize)) return;
    const jvalue *fl = json_get(args, "frame_length");
    if (!fl || fl->type != J_INT || !ccsds_frame_length_ok(fl->integer, depth)) {
        char msg[256];
        if (!fl) snprintf(msg, sizeof msg, "frame_length: required argument missing");
        else if (fl->type != J_INT) snprintf(msg, sizeof msg, "frame_length: must be an integer");
        else
            snprintf(msg, sizeof msg,
                     "frame_length %lld is invalid for interleave=%d: it must be a multiple of the depth with "
                     "1 <= L/I <= %d (CCSDS 131.0-B-3 section 4, virtual fill)",
                     fl->integer, depth, RS_K);
        send_error(id, "ValueError", msg);
        return;
    }
    const jvalue *st = json_get(args, "stream");
    if (!st || st->type != J_STRING) {
        send_error(id, "ValueError", st ? "stream: must be a base64 string" : "stream: required argument missing");
        return;
    }
    size_t frame_len = (size_t)fl->integer, block_len = ccsds_codeblock_length(frame_len, depth);
    uint8_t *stream = malloc(st->len / 4 * 3 + 1);
    size_t *offsets = NULL, count = 0;
    if (!stream) {
        send_error(id, "MemoryError", "out of memory");
        return;
    }
    long long size = b64_decode(st->str, st->len, stream);
    if (size < 0) {
        send_error(id, "ValueError", "stream: invalid base64 (RFC 4648 section 4, with padding)");
        free(stream);
        return;
    }
    if (ccsds_find_codeblocks(stream, (size_t)size, block_len, &offsets, &count) != 0) {
        send_error(id, "MemoryError", "out of memory");
        free(stream);
        return;
    }
    jbuf b = {0};
    jbuf_puts(&b, "{\"id\":");
    jbuf_int(&b, id);
    jbuf_puts(&b, ",\"result\":[");
    jbuf_reserve(&b, count * (b64_encoded_length(frame_len) + 40));
    uint8_t block[MAX_CODEBLOCK], frame[RS_K * RS_MAX_DEPTH];
    for (size_t i = 0; i < count && !b.failed; i++) {
        int corrected = 0;
        memcpy(block, stream + offsets[i], block_len);
        if (randomize) ccsds_randomize(block, block_len);
        int ok = ccsds_decode_codeblock(block, block_len, depth, frame, &corrected);
        jbuf_puts(&b, i ? ",{\"data\":" : "{\"data\":");
        if (ok) {
            size_t chars = b64_encoded_length(frame_len);
            jbuf_reserve(&b, chars + 2);
            if (b.failed) break;
            b.data[b.len++] = '"';
            b64_encode(frame, frame_len, b.data + b.len);
            b.len += chars;
            b.data[b.len++] = '"';
        } else {
            jbuf_puts(&b, "null");
        }
        jbuf_puts(&b, ",\"corrected\":");
        jbuf_int(&b, corrected);
        jbuf_puts(&b, "}");
    }
    jbuf_puts(&b, "]}");
    send_result(id, &b);
    jbuf_free(&b);
    free(offsets);
    free(stream);
}

/* ---- request dispatch -------------------------------------------------------------------------- */

/* The id of a line that is not valid JSON but begins like a request: {"id": <int> ... */
static int scan_id(const char *s, size_t n, long long *id) {
    size_t i = 0;
#define WS() while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++
    WS();
    if (i >= n || s[i++] != '{') return 0;
    WS();
    if (n - i < 4 || memcmp(s + i, "\"id\"", 4) != 0) return 0;
    i += 4;
    WS();
    if (i >= n || s[i++] != ':') return 0;
    WS();
    size_t digits = 0;
    long long v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (v > (INT64_MAX - 9) / 10) return 0;
        v = v * 10 + (s[i++] - '0');
        digits++;
    }
    if (!digits) return 0;
    WS();
    if (i < n && s[i] != ',' && s[i] != '}') return 0;
#undef WS
    *id = v;
    return 1;
}

static void handle_line(const char *line, size_t len) {
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    if (i == len) return; /* blank line */
    jvalue req;
    long long id;
    if (json_parse(line, len, &req) != 0) {
        if (scan_id(line, len, &id)) send_error(id, "ProtocolError", "malformed request: not valid JSON");
        else fprintf(stderr, "c-coding: skipped a line that is not a JSON request (%zu octets)\n", len);
        return;
    }
    const jvalue *idv = json_get(&req, "id");
    if (req.type != J_OBJECT || !idv || idv->type != J_INT) {
        fprintf(stderr, "c-coding: skipped a request without an integer id\n");
        json_free(&req);
        return;
    }
    id = idv->integer;
    const jvalue *op = json_get(&req, "op"), *args = json_get(&req, "args");
    static const jvalue empty = {.type = J_OBJECT};
    if (!op || op->type != J_STRING) {
        send_error(id, "ProtocolError", "malformed request: 'op' must be a string");
    } else if (args && args->type != J_OBJECT) {
        send_error(id, "ProtocolError", "malformed request: 'args' must be an object");
    } else {
        if (!args) args = &empty;
        if (op->len == 5 && memcmp(op->str, "hello", 5) == 0) op_hello(id);
        else if (op->len == 6 && memcmp(op->str, "encode", 6) == 0) op_encode(id, args);
        else if (op->len == 6 && memcmp(op->str, "decode", 6) == 0) op_decode(id, args);
        else {
            char name[80], msg[160];
            excerpt(op->str, op->len, name, sizeof name);
            snprintf(msg, sizeof msg, "operation '%s' is not implemented (operations: hello, encode, decode)", name);
            send_error(id, "NotImplemented", msg);
        }
    }
    json_free(&req);
}

/* ---- line reader on file descriptor 0 (no stdio buffering surprises, any octet allowed) ------- */

int main(void) {
    signal(SIGPIPE, SIG_IGN); /* a closed stdout shows as a write error */
    if (ccsds_init() != 0) {
        fprintf(stderr, "c-coding: internal error: code tables could not be built\n");
        return 1;
    }
    size_t cap = 1 << 16, len = 0, scanned = 0;
    char *buf = malloc(cap);
    int discarding = 0; /* inside an over-long line: drop octets up to its newline */
    char head[64];      /* first octets of an over-long line, for its id */
    size_t head_len = 0;
    if (!buf) return 1;
    for (;;) {
        char *nl = memchr(buf + scanned, '\n', len - scanned);
        if (nl) {
            size_t line_len = (size_t)(nl - buf);
            if (discarding) {
                long long id;
                if (scan_id(head, head_len, &id)) send_error(id, "ProtocolError", "request line too long");
                else fprintf(stderr, "c-coding: skipped an over-long line\n");
                discarding = 0;
            } else {
                handle_line(buf, line_len);
            }
            memmove(buf, nl + 1, len - line_len - 1);
            len -= line_len + 1;
            scanned = 0;
            continue;
        }
        scanned = len;
        if (!discarding && len > MAX_LINE) {
            discarding = 1;
            head_len = len < sizeof head ? len : sizeof head;
            memcpy(head, buf, head_len);
        }
        if (discarding) len = scanned = 0;
        if (cap - len < (1 << 16)) {
            size_t ncap = cap * 2;
            char *grown = realloc(buf, ncap);
            if (!grown) { /* drop this line rather than crash */
                fprintf(stderr, "c-coding: out of memory reading a line; skipping it\n");
                discarding = 1;
                head_len = len < sizeof head ? len : sizeof head;
                memcpy(head, buf, head_len);
                len = scanned = 0;
            } else {
                buf = grown;
                cap = ncap;
            }
        }
        ssize_t n = read(STDIN_FILENO, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (n == 0) { /* EOF: answer an unterminated last line too, then exit */
            if (len > 0 && !discarding) handle_line(buf, len);
            break;
        }
        len += (size_t)n;
    }
    free(buf);
    return 0;
}
