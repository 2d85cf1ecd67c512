/* CCSDS 131.0-B-3 synchronization and channel coding: the "coding" class of net-optical-isl.
 *
 * Section 4 (Reed-Solomon (255,223) E=16, interleaving, virtual fill, Annex F dual basis),
 * section 9 (attached sync marker, frame synchronization) and section 10 (pseudo-randomizer).
 * The normative constants below are those of specs/catalog/net-optical-isl/1.0.0.yaml.
 */
#ifndef CCSDS_H
#define CCSDS_H

#include <stddef.h>
#include <stdint.h>

#define ASM_LEN 4                 /* attached_sync_marker 1ACFFC1D: 4 octets */
#define RS_N 255                  /* rs_codeword_length */
#define RS_K 223                  /* rs_message_length */
#define RS_E 16                   /* rs_error_correction_capability */
#define RS_NROOTS (2 * RS_E)      /* check symbols per codeword */
#define RS_MAX_DEPTH 8            /* largest of rs_interleaving_depths */
#define MAX_CODEBLOCK (RS_N * RS_MAX_DEPTH)
#define MARKER_LOCK_TOLERANCE 2   /* bit errors accepted in a marker at the expected position */

extern const uint8_t ccsds_asm[ASM_LEN];

/* Build the tables (field, dual-basis matrices, generator, randomizer). 0 on success. */
int ccsds_init(void);

/* 1 when depth is one of rs_interleaving_depths. */
int ccsds_depth_ok(long long depth);

/* 1 when a frame of len octets can be encoded at depth (multiple of I, 1 <= L/I <= 223). */
int ccsds_frame_length_ok(long long len, int depth);

/* Codeblock length (octets) of a frame of len octets at depth. */
size_t ccsds_codeblock_length(size_t len, int depth);

/* One CADU: marker + Reed-Solomon codeblock (randomized when randomize != 0).
 * out must hold ASM_LEN + ccsds_codeblock_length(len, depth) octets. */
void ccsds_encode_cadu(const uint8_t *frame, size_t len, int depth, int randomize, uint8_t *out);

/* XOR a codeblock with the section 10 sequence (restarted at block[0]); len <= MAX_CODEBLOCK. */
void ccsds_randomize(uint8_t *block, size_t len);

/* Decode one (de-randomized) codeblock of block_len octets at depth: writes the frame
 * (block_len - 32*depth octets) to frame_out and the number of corrected symbols to
 * *corrected. Returns 1 when every codeword is correct(ed), 0 when uncorrectable
 * (*corrected is then 0 and frame_out holds the received information symbols). */
int ccsds_decode_codeblock(const uint8_t *block, size_t block_len, int depth, uint8_t *frame_out, int *corrected);

/* Section 9 frame synchronizer: offsets (first octet after the marker) of every complete
 * codeblock of block_len octets found in stream. *offsets is malloc'ed (free it; NULL when
 * none). Returns 0, or -1 when out of memory. */
int ccsds_find_codeblocks(const uint8_t *stream, size_t size, size_t block_len, size_t **offsets, size_t *count);

#endif
