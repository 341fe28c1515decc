/* The part of CBOR (RFC 8949) that SMP requests and responses use: maps with
 * text keys; unsigned and negative integers, byte and text strings, booleans,
 * arrays. Bounded, no allocation; a malformed or unsupported item sets
 * `error` and every later read fails. */
#ifndef CBOR_H
#define CBOR_H

#include <stdint.h>

typedef struct {
    const uint8_t *at, *end;
    int error;
} cbor_reader;

enum { CBOR_UINT = 0, CBOR_NINT = 1, CBOR_BYTES = 2, CBOR_TEXT = 3, CBOR_ARRAY = 4, CBOR_MAP = 5, CBOR_TAG = 6,
       CBOR_SIMPLE = 7 };

/* Reads an item's head: its major type and argument (length, count or value).
 * Indefinite lengths and floats are refused (SMP clients send neither). */
int cbor_head(cbor_reader *r, uint8_t *major, uint64_t *argument);
/* A byte or text string's bytes after its head (length from cbor_head). */
const uint8_t *cbor_take(cbor_reader *r, uint64_t length);
/* Skips one whole item (nested up to 8 levels). */
int cbor_skip(cbor_reader *r);

typedef struct {
    uint8_t *at, *end;
    int overflow;
} cbor_writer;

void cbor_put_head(cbor_writer *w, uint8_t major, uint64_t argument);
void cbor_put_text(cbor_writer *w, const char *text);
void cbor_put_bytes(cbor_writer *w, const uint8_t *bytes, uint32_t length);
void cbor_put_bool(cbor_writer *w, int value);
void cbor_put_int(cbor_writer *w, int64_t value);

#endif
