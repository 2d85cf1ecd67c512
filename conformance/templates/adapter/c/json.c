/* A small JSON reader (RFC 8259): objects, arrays, strings (all escapes, \uXXXX with surrogate
 * pairs, UTF-8 validated), numbers, true/false/null. Every read is bounds-checked against the
 * given length, nesting is limited, and any malformed input gives -1, never a crash. */
#include "json.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const char *s;
    size_t len, pos;
} parser;

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int parse_value(parser *p, jvalue *out, int depth);

static int literal(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) return -1;
    p->pos += n;
    return 0;
}

static int hex4(parser *p, unsigned *out) {
    if (p->len - p->pos < 4) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos + (size_t)i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    p->pos += 4;
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at s[0..avail), or 0 when invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t avail) {
    unsigned char c = s[0];
    size_t n;
    unsigned cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
    else return 0;
    if (avail < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

/* A string starting at the opening quote; result malloc'ed, NUL-terminated. */
static int parse_string(parser *p, char **out, size_t *out_len) {
    if (p->pos >= p->len || p->s[p->pos] != '"') return -1;
    p->pos++;
    /* The decoded string is never longer than its source text. */
    size_t start = p->pos, end = start;
    int escapes = 0;
    while (end < p->len && p->s[end] != '"') {
        if (p->s[end] == '\\') {
            escapes = 1;
            end++;
        }
        end++;
    }
    if (end >= p->len) return -1;
    char *buf = malloc(end - start + 1);
    if (!buf) return -1;
    size_t o = 0;
    if (!escapes) {
        /* fast path: validate and copy */
        size_t i = start;
        while (i < end) {
            unsigned char c = (unsigned char)p->s[i];
            if (c >= 0x20 && c < 0x80) {
                i++;
                continue;
            }
            if (c < 0x20) goto fail;
            size_t n = utf8_sequence((const unsigned char *)p->s + i, end - i);
            if (!n) goto fail;
            i += n;
        }
        memcpy(buf, p->s + start, end - start);
        o = end - start;
        p->pos = end + 1;
    } else {
        while (p->pos < end) {
            unsigned char c = (unsigned char)p->s[p->pos];
            if (c == '\\') {
                p->pos++;
                if (p->pos >= end) goto fail;
                char e = p->s[p->pos++];
                switch (e) {
                case '"': buf[o++] = '"'; break;
                case '\\': buf[o++] = '\\'; break;
                case '/': buf[o++] = '/'; break;
                case 'b': buf[o++] = '\b'; break;
                case 'f': buf[o++] = '\f'; break;
                case 'n': buf[o++] = '\n'; break;
                case 'r': buf[o++] = '\r'; break;
                case 't': buf[o++] = '\t'; break;
                case 'u': {
                    unsigned cp, lo;
                    if (end - p->pos < 4 || hex4(p, &cp) != 0) goto fail;
                    if (cp >= 0xD800 && cp <= 0xDBFF && end - p->pos >= 6 && p->s[p->pos] == '\\' &&
                        p->s[p->pos + 1] == 'u') {
                        size_t save = p->pos;
                        p->pos += 2;
                        if (hex4(p, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF)
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        else
                            p->pos = save;
                    }
                    /* A lone surrogate is kept as its 3-octet form (as Python's json accepts it);
                     * \uXXXX takes 6 source characters and at most 3 (4 for a pair of 12) here. */
                    o += put_utf8(buf + o, cp);
                    break;
                }
                default: goto fail;
                }
            } else if (c < 0x20) {
                goto fail;
            } else if (c < 0x80) {
                buf[o++] = (char)c;
                p->pos++;
            } else {
                size_t n = utf8_sequence((const unsigned char *)p->s + p->pos, end - p->pos);
                if (!n) goto fail;
                memcpy(buf + o, p->s + p->pos, n);
                o += n;
                p->pos += n;
            }
        }
        p->pos = end + 1;
    }
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return 0;
fail:
    free(buf);
    return -1;
}

static int parse_number(parser *p, jvalue *out) {
    size_t i = p->pos;
    int neg = 0, is_int = 1, overflow = 0;
    unsigned long long mag = 0;
    if (i < p->len && p->s[i] == '-') neg = 1, i++;
    if (i >= p->len) return -1;
    if (p->s[i] == '0') {
        i++;
    } else if (p->s[i] >= '1' && p->s[i] <= '9') {
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') {
            unsigned d = (unsigned)(p->s[i] - '0');
            if (mag > (ULLONG_MAX - d) / 10) overflow = 1;
            else mag = mag * 10 + d;
            i++;
        }
    } else {
        return -1;
    }
    if (i < p->len && p->s[i] == '.') {
        is_int = 0;
        i++;
        if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') return -1;
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        is_int = 0;
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) i++;
        if (i >= p->len || p->s[i] < '0' || p->s[i] > '9') return -1;
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') i++;
    }
    p->pos = i;
    if (is_int && !overflow && mag <= (unsigned long long)INT64_MAX + (unsigned long long)neg) {
        out->type = J_INT;
        out->integer = neg ? (mag == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(long long)mag) : (long long)mag;
    } else {
        out->type = J_NUMBER;
    }
    return 0;
}

static int parse_array(parser *p, jvalue *out, int depth) {
    size_t cap = 0;
    p->pos++; /* '[' */
    out->type = J_ARRAY;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        return 0;
    }
    for (;;) {
        if (out->len == cap) {
            size_t ncap = cap ? 2 * cap : 8;
            jvalue *grown = realloc(out->items, ncap * sizeof *grown);
            if (!grown) return -1;
            out->items = grown;
            cap = ncap;
        }
        jvalue *item = &out->items[out->len];
        memset(item, 0, sizeof *item);
        out->len++; /* counted now so json_free releases a partial item */
        skip_ws(p);
        if (parse_value(p, item, depth + 1) != 0) return -1;
        skip_ws(p);
        if (p->pos >= p->len) return -1;
        char c = p->s[p->pos++];
        if (c == ']') return 0;
        if (c != ',') return -1;
    }
}

static int parse_object(parser *p, jvalue *out, int depth) {
    size_t cap = 0;
    p->pos++; /* '{' */
    out->type = J_OBJECT;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return 0;
    }
    for (;;) {
        if (out->len == cap) {
            size_t ncap = cap ? 2 * cap : 8;
            jmember *grown = realloc(out->members, ncap * sizeof *grown);
            if (!grown) return -1;
            out->members = grown;
            cap = ncap;
        }
        jmember *m = &out->members[out->len];
        memset(m, 0, sizeof *m);
        out->len++;
        skip_ws(p);
        if (parse_string(p, &m->key, &m->key_len) != 0) return -1;
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') return -1;
        p->pos++;
        skip_ws(p);
        if (parse_value(p, &m->value, depth + 1) != 0) return -1;
        skip_ws(p);
        if (p->pos >= p->len) return -1;
        char c = p->s[p->pos++];
        if (c == '}') return 0;
        if (c != ',') return -1;
    }
}

static int parse_value(parser *p, jvalue *out, int depth) {
    if (depth > MAX_DEPTH || p->pos >= p->len) return -1;
    char c = p->s[p->pos];
    switch (c) {
    case '{': return parse_object(p, out, depth);
    case '[': return parse_array(p, out, depth);
    case '"':
        out->type = J_STRING;
        return parse_string(p, &out->str, &out->len);
    case 't':
        out->type = J_BOOL;
        out->boolean = 1;
        return literal(p, "true");
    case 'f':
        out->type = J_BOOL;
        out->boolean = 0;
        return literal(p, "false");
    case 'n':
        out->type = J_NULL;
        return literal(p, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, out);
        return -1;
    }
}

void json_free(jvalue *v) {
    if (!v) return;
    if (v->type == J_STRING) free(v->str);
    if (v->type == J_ARRAY) {
        for (size_t i = 0; i < v->len; i++) json_free(&v->items[i]);
        free(v->items);
    }
    if (v->type == J_OBJECT) {
        for (size_t i = 0; i < v->len; i++) {
            free(v->members[i].key);
            json_free(&v->members[i].value);
        }
        free(v->members);
    }
    memset(v, 0, sizeof *v);
}

int json_parse(const char *text, size_t len, jvalue *out) {
    parser p = {text, len, 0};
    memset(out, 0, sizeof *out);
    skip_ws(&p);
    if (parse_value(&p, out, 0) != 0) {
        json_free(out);
        return -1;
    }
    skip_ws(&p);
    if (p.pos != p.len) {
        json_free(out);
        return -1;
    }
    return 0;
}

const jvalue *json_get(const jvalue *obj, const char *key) {
    if (!obj || obj->type != J_OBJECT) return NULL;
    size_t n = strlen(key);
    const jvalue *found = NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (obj->members[i].key_len == n && memcmp(obj->members[i].key, key, n) == 0) found = &obj->members[i].value;
    return found;
}

/* ---- output -------------------------------------------------------------------------------- */

void jbuf_reserve(jbuf *b, size_t extra) {
    if (b->failed) return;
    if (b->cap - b->len > extra) return;
    size_t need = b->len + extra + 1, ncap = b->cap ? b->cap : 256;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) {
            b->failed = 1;
            return;
        }
        ncap *= 2;
    }
    char *grown = realloc(b->data, ncap);
    if (!grown) {
        b->failed = 1;
        return;
    }
    b->data = grown;
    b->cap = ncap;
}

void jbuf_append(jbuf *b, const char *s, size_t n) {
    jbuf_reserve(b, n);
    if (b->failed) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

void jbuf_puts(jbuf *b, const char *s) { jbuf_append(b, s, strlen(s)); }

void jbuf_int(jbuf *b, long long v) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", v);
    if (n > 0) jbuf_append(b, tmp, (size_t)n);
}

void jbuf_string(jbuf *b, const char *s, size_t n) {
    jbuf_append(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            jbuf_append(b, esc, 2);
        } else if (c < 0x20 || c == 0x7F) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            jbuf_append(b, esc, 6);
        } else {
            jbuf_append(b, (const char *)&s[i], 1);
        }
    }
    jbuf_append(b, "\"", 1);
}

void jbuf_free(jbuf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}
