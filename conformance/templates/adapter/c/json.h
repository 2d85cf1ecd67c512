/* A small JSON reader (RFC 8259) for protocol requests, and an output buffer for replies. */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_INT, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } jtype;

typedef struct jvalue jvalue;
typedef struct jmember jmember;

struct jvalue {
    jtype type;
    int boolean;      /* J_BOOL */
    long long integer; /* J_INT: an integer literal that fits in 64 bits (others are J_NUMBER) */
    char *str;        /* J_STRING: UTF-8, NUL-terminated (may contain NUL: use len) */
    size_t len;       /* J_STRING length; J_ARRAY / J_OBJECT element count */
    jvalue *items;    /* J_ARRAY */
    jmember *members; /* J_OBJECT */
};

struct jmember {
    char *key;
    size_t key_len;
    jvalue value;
};

/* Parse exactly one JSON value (surrounding whitespace allowed) from text[0..len).
 * Returns 0 and fills *out, or -1 (malformed, too deep, or out of memory; *out then empty). */
int json_parse(const char *text, size_t len, jvalue *out);

/* Free what json_parse allocated. */
void json_free(jvalue *v);

/* Last member named key of an object, or NULL. */
const jvalue *json_get(const jvalue *obj, const char *key);

/* Growable output buffer; on allocation failure `failed` is set and appends are dropped. */
typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} jbuf;

void jbuf_reserve(jbuf *b, size_t extra);
void jbuf_append(jbuf *b, const char *s, size_t n);
void jbuf_puts(jbuf *b, const char *s);
void jbuf_int(jbuf *b, long long v);
/* A JSON string literal of s[0..n) (escapes quotes, backslashes and control characters). */
void jbuf_string(jbuf *b, const char *s, size_t n);
void jbuf_free(jbuf *b);

#endif
