#include "smp_serial.h"

uint16_t smp_crc16(const uint8_t *bytes, uint32_t length) {
    uint16_t crc = 0;   /* CRC-16/XMODEM: polynomial 0x1021, initial 0, no reflection */
    for (uint32_t i = 0; i < length; i++) {
        crc ^= (uint16_t)(bytes[i] << 8);
        for (int bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

void smp_receiver_reset(smp_receiver *rx) {
    rx->decoded = 0;
    rx->quad_used = 0;
    rx->line_used = 0;
    rx->in_packet = 0;
    rx->line_bad = 0;
}

static int sextet(uint8_t c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    if (c == '=') return 64;
    return -1;
}

static void drop(smp_receiver *rx) {
    rx->dropped++;
    rx->in_packet = 0;
    rx->decoded = 0;
    rx->quad_used = 0;
    rx->line_bad = 1;
}

/* Decodes a full group of four characters into the frame. */
static void decode_quad(smp_receiver *rx) {
    int v[4];
    for (int i = 0; i < 4; i++) v[i] = sextet(rx->quad[i]);
    rx->quad_used = 0;
    if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || v[0] == 64 || v[1] == 64 || (v[2] == 64 && v[3] != 64)) {
        drop(rx);
        return;
    }
    uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)(v[2] & 63) << 6 | (uint32_t)(v[3] & 63);
    uint32_t n = v[2] == 64 ? 1 : v[3] == 64 ? 2 : 3;
    if (rx->decoded + n > SMP_FRAME_MAX) {
        drop(rx);
        return;
    }
    for (uint32_t i = 0; i < n; i++) rx->frame[rx->decoded++] = (uint8_t)(bits >> (16 - 8 * i));
}

/* Bytes the frame must hold in all, once its length field has arrived (0: not yet). */
static uint32_t frame_total(const smp_receiver *rx) {
    return rx->decoded < 2 ? 0 : 2u + ((uint32_t)rx->frame[0] << 8 | rx->frame[1]);
}

uint32_t smp_receive(smp_receiver *rx, uint8_t byte) {
    if (byte == '\n') {
        int was_packet_line = !rx->line_bad && rx->line_used >= 2 && rx->in_packet;
        rx->line_used = 0;
        rx->line_bad = 0;
        if (!was_packet_line) return 0;
        if (rx->quad_used != 0) {   /* lines carry whole groups */
            drop(rx);
            rx->line_bad = 0;
            return 0;
        }
        uint32_t total = frame_total(rx);
        if (total == 0 || rx->decoded < total) return 0;   /* more lines follow */
        uint32_t length = total - 4;
        if (total < 2 + 8 + 2 || rx->decoded != total
            || smp_crc16(rx->frame + 2, length) != ((uint16_t)rx->frame[total - 2] << 8 | rx->frame[total - 1])) {
            drop(rx);
            rx->line_bad = 0;
            return 0;
        }
        rx->in_packet = 0;
        return length;
    }
    if (rx->line_bad) return 0;
    if (rx->line_used < 2) {
        rx->line_start[rx->line_used++] = byte;
        if (rx->line_used == 2) {
            if (rx->line_start[0] == 0x06 && rx->line_start[1] == 0x09) {
                rx->in_packet = 1;   /* a start line: begins a new packet */
                rx->decoded = 0;
                rx->quad_used = 0;
            } else if (!(rx->line_start[0] == 0x04 && rx->line_start[1] == 0x14 && rx->in_packet)) {
                rx->line_bad = 1;    /* console text, or a continuation without a start */
            }
        }
        return 0;
    }
    if (++rx->line_used > SMP_LINE_MAX) {
        drop(rx);
        return 0;
    }
    if (byte == '\r') return 0;
    rx->quad[rx->quad_used++] = byte;
    if (rx->quad_used == 4) decode_quad(rx);
    uint32_t total = frame_total(rx);
    if (total != 0 && (total > SMP_FRAME_MAX || rx->decoded > total)) drop(rx);
    return 0;
}

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Characters of base64 per line: (127 - 4) rounded down to a multiple of 4,
 * as MCUmgr clients do. */
#define LINE_CHARS 120u

typedef struct {
    void (*put)(uint8_t);
    uint32_t on_line;        /* base64 characters on the current line */
    int started;
    uint8_t group[3];
    uint32_t group_used;
} line_writer;

static void put_char(line_writer *lw, uint8_t c) {
    if (lw->on_line == LINE_CHARS) {
        lw->put('\n');
        lw->on_line = 0;
    }
    if (lw->on_line == 0) {
        lw->put(lw->started ? 0x04 : 0x06);
        lw->put(lw->started ? 0x14 : 0x09);
        lw->started = 1;
    }
    lw->put(c);
    lw->on_line++;
}

static void flush_group(line_writer *lw) {
    uint32_t n = lw->group_used;
    if (n == 0) return;
    uint32_t bits = (uint32_t)lw->group[0] << 16 | (uint32_t)(n > 1 ? lw->group[1] : 0) << 8 | (n > 2 ? lw->group[2] : 0);
    put_char(lw, (uint8_t)alphabet[bits >> 18 & 63]);
    put_char(lw, (uint8_t)alphabet[bits >> 12 & 63]);
    put_char(lw, n > 1 ? (uint8_t)alphabet[bits >> 6 & 63] : '=');
    put_char(lw, n > 2 ? (uint8_t)alphabet[bits & 63] : '=');
    lw->group_used = 0;
}

static void put_byte(line_writer *lw, uint8_t b) {
    lw->group[lw->group_used++] = b;
    if (lw->group_used == 3) flush_group(lw);
}

void smp_send(const uint8_t *packet, uint32_t length, void (*put)(uint8_t)) {
    line_writer lw = {put, 0, 0, {0, 0, 0}, 0};
    uint16_t crc = smp_crc16(packet, length);
    uint32_t total = length + 2;
    put_byte(&lw, (uint8_t)(total >> 8));
    put_byte(&lw, (uint8_t)total);
    for (uint32_t i = 0; i < length; i++) put_byte(&lw, packet[i]);
    put_byte(&lw, (uint8_t)(crc >> 8));
    put_byte(&lw, (uint8_t)crc);
    flush_group(&lw);
    put('\n');
}
