/*
 * Host tests of the SMP firmware's parsers (smp_serial.c, cbor.c) on bad
 * input, built with AddressSanitizer and UndefinedBehaviorSanitizer by
 * run.sh:   cc -fsanitize=address,undefined smp_parsers_test.c smp_serial.c cbor.c
 * Each case names what must happen; exits non-zero if any fails. With
 * -DSMP_FUZZ it is instead a libFuzzer target over both parsers.
 */
#include <stdio.h>
#include <string.h>

#include "cbor.h"
#include "smp_serial.h"

static int failures;

static void check(int ok, const char *what) {
    printf("  %s  %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok) failures++;
}

/* ---- A client's encoder, written from the transport's description. ---- */

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t base64(const uint8_t *in, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    return o;
}

/* Lines for `packet`: start line, continuation lines of `per_line` characters. */
static size_t frame_lines(const uint8_t *packet, size_t n, size_t per_line, uint8_t *out, uint16_t crc_xor) {
    uint8_t raw[1024];
    raw[0] = (uint8_t)((n + 2) >> 8);
    raw[1] = (uint8_t)(n + 2);
    memcpy(raw + 2, packet, n);
    uint16_t crc = smp_crc16(packet, (uint32_t)n) ^ crc_xor;
    raw[2 + n] = (uint8_t)(crc >> 8);
    raw[3 + n] = (uint8_t)crc;
    char text[2048];
    size_t chars = base64(raw, n + 4, text), o = 0;
    for (size_t at = 0; at < chars; at += per_line) {
        out[o++] = at == 0 ? 0x06 : 0x04;
        out[o++] = at == 0 ? 0x09 : 0x14;
        size_t k = chars - at < per_line ? chars - at : per_line;
        memcpy(out + o, text + at, k);
        o += k;
        out[o++] = '\n';
    }
    return o;
}

/* Feeds bytes; returns the length of the last complete packet (0: none). */
static uint32_t feed(smp_receiver *rx, const uint8_t *bytes, size_t n) {
    uint32_t got = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t length = smp_receive(rx, bytes[i]);
        if (length) got = length;
    }
    return got;
}

static const uint8_t sample[] = {0x02, 0x00, 0x00, 0x06, 0x00, 0x01, 0x07, 0x01,   /* SMP header: write, image, upload */
                                 0xA1, 0x63, 'o', 'f', 'f', 0x00, 0xF5, 0xF4};       /* {"off": 0} + 2 bytes */

static void serial_tests(void) {
    static smp_receiver rx;
    uint8_t wire[4096];
    size_t n;

    smp_receiver_reset(&rx);
    n = frame_lines(sample, sizeof sample, 120, wire, 0);
    check(feed(&rx, wire, n) == sizeof sample && memcmp(rx.frame + 2, sample, sizeof sample) == 0,
          "a one-line packet is decoded exactly");

    smp_receiver_reset(&rx);
    n = frame_lines(sample, sizeof sample, 8, wire, 0);
    check(feed(&rx, wire, n) == sizeof sample, "a packet split over 8-character lines is reassembled");

    smp_receiver_reset(&rx);
    const char noise[] = "boot log line\r\n\x04\x14QUJD\nmore text\n";
    n = frame_lines(sample, sizeof sample, 120, wire, 0);
    uint8_t mixed[4096];
    memcpy(mixed, noise, sizeof noise - 1);
    memcpy(mixed + sizeof noise - 1, wire, n);
    check(feed(&rx, mixed, sizeof noise - 1 + n) == sizeof sample,
          "console text and a continuation without a start line are ignored; the packet after them is decoded");

    smp_receiver_reset(&rx);
    n = frame_lines(sample, sizeof sample, 120, wire, 1);
    uint32_t dropped = rx.dropped;
    check(feed(&rx, wire, n) == 0 && rx.dropped == dropped + 1, "a CRC mismatch drops the packet");

    smp_receiver_reset(&rx);
    n = frame_lines(sample, sizeof sample, 120, wire, 0);
    wire[5] = '*';
    check(feed(&rx, wire, n) == 0, "a character outside base64 drops the packet");
    n = frame_lines(sample, sizeof sample, 120, wire, 0);
    check(feed(&rx, wire, n) == sizeof sample, "... and the next packet is decoded");

    smp_receiver_reset(&rx);
    uint8_t big[1024] = {0};
    n = frame_lines(big, SMP_FRAME_MAX, 120, wire, 0);   /* 2 + 512 + 2 > the frame buffer */
    check(feed(&rx, wire, n) == 0, "a packet larger than the reassembly buffer is dropped, never written past it");
    n = frame_lines(big, SMP_FRAME_MAX - 4, 120, wire, 0);
    check(feed(&rx, wire, n) == SMP_FRAME_MAX - 4, "a packet that fills the buffer exactly is accepted");

    smp_receiver_reset(&rx);
    uint8_t line[600];
    line[0] = 0x06;
    line[1] = 0x09;
    memset(line + 2, 'A', sizeof line - 3);
    line[sizeof line - 1] = '\n';
    check(feed(&rx, line, sizeof line) == 0, "a line longer than SMP_LINE_MAX is dropped");

    smp_receiver_reset(&rx);
    /* A length field that declares less than a header and a CRC. */
    uint8_t tiny[6] = {0x00, 0x02, 0x00, 0x00, 0x00, 0x00}, text[16];
    size_t k = base64(tiny, sizeof tiny, (char *)text);
    uint8_t w2[32] = {0x06, 0x09};
    memcpy(w2 + 2, text, k);
    w2[2 + k] = '\n';
    check(feed(&rx, w2, 3 + k) == 0, "a frame shorter than a header is dropped");

    smp_receiver_reset(&rx);
    n = frame_lines(sample, sizeof sample, 8, wire, 0);   /* first line: 2 + 8 + 1 bytes */
    size_t first_line = 11;
    uint8_t again[4096];
    memcpy(again, wire, first_line);
    memcpy(again + first_line, wire, n);
    check(feed(&rx, again, first_line + n) == sizeof sample,
          "a start line while a packet is incomplete starts that packet over");
}

static void cbor_tests(void) {
    uint8_t major;
    uint64_t value;

    const uint8_t truncated[] = {0x59, 0x01};   /* byte string, 16-bit length cut short */
    cbor_reader r = {truncated, truncated + sizeof truncated, 0};
    check(!cbor_head(&r, &major, &value) && r.error, "a head cut short is refused");

    const uint8_t indefinite[] = {0x5F, 0x41, 0x00, 0xFF};
    r = (cbor_reader){indefinite, indefinite + sizeof indefinite, 0};
    check(!cbor_head(&r, &major, &value), "an indefinite-length string is refused");

    const uint8_t long_string[] = {0x5A, 0xFF, 0xFF, 0xFF, 0xF0, 0x00};
    r = (cbor_reader){long_string, long_string + sizeof long_string, 0};
    check(cbor_head(&r, &major, &value) && cbor_take(&r, value) == 0 && r.error,
          "a string longer than the input is refused, not read past");

    const uint8_t huge_map[] = {0xBB, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
    r = (cbor_reader){huge_map, huge_map + sizeof huge_map, 0};
    check(!cbor_skip(&r), "a map that declares 2^63 entries is refused at once (no loop over the count)");

    uint8_t deep[64];
    memset(deep, 0x81, sizeof deep);   /* [[[[... */
    r = (cbor_reader){deep, deep + sizeof deep, 0};
    check(!cbor_skip(&r), "nesting deeper than 8 levels is refused (bounded recursion)");

    const uint8_t half_float[] = {0xF9, 0x3C, 0x00};
    r = (cbor_reader){half_float, half_float + sizeof half_float, 0};
    check(!cbor_head(&r, &major, &value), "a float is refused");

    const uint8_t empty[1] = {0};
    r = (cbor_reader){empty, empty, 0};
    check(!cbor_head(&r, &major, &value) && r.error, "empty input is refused");
    check(!cbor_skip(&r), "... and stays refused");

    const uint8_t good[] = {0xA2, 0x63, 'o', 'f', 'f', 0x19, 0x01, 0xC5, 0x64, 'd', 'a', 't', 'a', 0x42, 0xAB, 0xCD};
    r = (cbor_reader){good, good + sizeof good, 0};
    int ok = cbor_skip(&r) && r.at == r.end;
    check(ok, "a request map is skipped whole");

    uint8_t out[8];
    cbor_writer w = {out, out + sizeof out, 0};
    cbor_put_text(&w, "a longer text");
    check(w.overflow && w.at <= w.end, "a writer at the end of its buffer reports overflow, never writes past it");
    w = (cbor_writer){out, out + sizeof out, 0};
    cbor_put_int(&w, 500);
    cbor_put_int(&w, -1);
    check(!w.overflow && w.at - out == 4 && out[0] == 0x19 && out[1] == 0x01 && out[2] == 0xF4 && out[3] == 0x20,
          "integers use the shortest head (500: 19 01 F4; -1: 20)");
}

#ifdef SMP_FUZZ
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static smp_receiver rx;
    smp_receiver_reset(&rx);
    for (size_t i = 0; i < size; i++) {
        uint32_t length = smp_receive(&rx, data[i]);
        if (length) {
            /* A decoded packet goes on to the CBOR reader, as in the firmware. */
            if (length > SMP_FRAME_MAX - 4) __builtin_trap();
            cbor_reader r = {rx.frame + 2 + (length >= 8 ? 8 : length), rx.frame + 2 + length, 0};
            cbor_skip(&r);
        }
    }
    cbor_reader r = {data, data + size, 0};
    while (r.at < r.end && cbor_skip(&r)) {
    }
    return 0;
}
#else
int main(void) {
    printf("SMP serial framing (smp_serial.c)\n");
    serial_tests();
    printf("CBOR reader and writer (cbor.c)\n");
    cbor_tests();
    printf("%s\n", failures ? "FAILED" : "all passed");
    return failures ? 1 : 0;
}
#endif
