#include "cbor.h"

int cbor_head(cbor_reader *r, uint8_t *major, uint64_t *argument) {
    if (r->error || r->at >= r->end) return r->error = 1, 0;
    uint8_t first = *r->at++;
    uint8_t info = first & 0x1F;
    *major = first >> 5;
    if (info < 24) {
        *argument = info;
        return 1;
    }
    if (info > 27) return r->error = 1, 0;   /* indefinite lengths, reserved */
    uint32_t size = 1u << (info - 24);
    if ((uint32_t)(r->end - r->at) < size) return r->error = 1, 0;
    uint64_t value = 0;
    for (uint32_t i = 0; i < size; i++) value = value << 8 | *r->at++;
    if (*major == CBOR_SIMPLE && info != 24) return r->error = 1, 0;   /* floats */
    *argument = value;
    return 1;
}

const uint8_t *cbor_take(cbor_reader *r, uint64_t length) {
    if (r->error || length > (uint64_t)(r->end - r->at)) return r->error = 1, (const uint8_t *)0;
    const uint8_t *bytes = r->at;
    r->at += length;
    return bytes;
}

static int skip(cbor_reader *r, int depth) {
    uint8_t major;
    uint64_t argument;
    if (depth > 8 || !cbor_head(r, &major, &argument)) return r->error = 1, 0;
    switch (major) {
    case CBOR_BYTES:
    case CBOR_TEXT:
        return cbor_take(r, argument) != 0;
    case CBOR_ARRAY:
    case CBOR_MAP: {
        /* Every item takes at least one byte: a count above what is left is malformed. */
        uint64_t items = major == CBOR_MAP ? argument * 2 : argument;
        if (argument > (uint64_t)(r->end - r->at) || items > (uint64_t)(r->end - r->at)) return r->error = 1, 0;
        for (uint64_t i = 0; i < items; i++)
            if (!skip(r, depth + 1)) return 0;
        return 1;
    }
    case CBOR_TAG:
        return skip(r, depth + 1);
    default:
        return 1;
    }
}

int cbor_skip(cbor_reader *r) { return skip(r, 0); }

void cbor_put_head(cbor_writer *w, uint8_t major, uint64_t argument) {
    uint8_t head[9];
    uint32_t n;
    if (argument < 24) {
        head[0] = (uint8_t)(major << 5 | argument);
        n = 1;
    } else {
        uint32_t size = argument <= 0xFF ? 1 : argument <= 0xFFFF ? 2 : argument <= 0xFFFFFFFFu ? 4 : 8;
        head[0] = (uint8_t)(major << 5 | (size == 1 ? 24 : size == 2 ? 25 : size == 4 ? 26 : 27));
        for (uint32_t i = 0; i < size; i++) head[1 + i] = (uint8_t)(argument >> (8 * (size - 1 - i)));
        n = 1 + size;
    }
    if ((uint32_t)(w->end - w->at) < n) {
        w->overflow = 1;
        return;
    }
    for (uint32_t i = 0; i < n; i++) *w->at++ = head[i];
}

static void put_raw(cbor_writer *w, const uint8_t *bytes, uint32_t length) {
    if ((uint32_t)(w->end - w->at) < length) {
        w->overflow = 1;
        return;
    }
    for (uint32_t i = 0; i < length; i++) *w->at++ = bytes[i];
}

void cbor_put_text(cbor_writer *w, const char *text) {
    uint32_t n = 0;
    while (text[n]) n++;
    cbor_put_head(w, CBOR_TEXT, n);
    put_raw(w, (const uint8_t *)text, n);
}

void cbor_put_bytes(cbor_writer *w, const uint8_t *bytes, uint32_t length) {
    cbor_put_head(w, CBOR_BYTES, length);
    put_raw(w, bytes, length);
}

void cbor_put_bool(cbor_writer *w, int value) { cbor_put_head(w, CBOR_SIMPLE, value ? 21 : 20); }

void cbor_put_int(cbor_writer *w, int64_t value) {
    if (value >= 0) cbor_put_head(w, CBOR_UINT, (uint64_t)value);
    else cbor_put_head(w, CBOR_NINT, (uint64_t)(-(value + 1)));
}
