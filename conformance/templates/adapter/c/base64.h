/* Standard base64 with padding (RFC 4648 section 4). */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode len octets (without terminator). */
size_t b64_encoded_length(size_t len);

/* Encode len octets to out (b64_encoded_length(len) characters, no terminator). */
void b64_encode(const uint8_t *in, size_t len, char *out);

/* Decode text of len characters (strict alphabet, length a multiple of 4, '=' only as final
 * padding). out must hold len / 4 * 3 octets. Returns the octet count, or -1 when invalid. */
long long b64_decode(const char *in, size_t len, uint8_t *out);

#endif
