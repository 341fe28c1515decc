/* MCUmgr's SMP serial transport (the console framing of Zephyr's
 * mcumgr/smp_shell and smp_uart): a packet is sent as lines, the first
 * starting 0x06 0x09, the rest 0x04 0x14, each ending in '\n', carrying
 * base64 of [total length, big-endian u16][SMP packet][CRC16-XMODEM of the
 * packet, big-endian]. Bytes outside such lines (console output) are ignored. */
#ifndef SMP_SERIAL_H
#define SMP_SERIAL_H

#include <stdint.h>

/* The decoded reassembly buffer: length field + SMP packet + CRC. SMP's
 * "buf_size" (MCUmgr parameters) reports it, so a client sends packets of at
 * most SMP_FRAME_MAX - 4 bytes. */
#define SMP_FRAME_MAX 512u
/* Longest line accepted (clients send 128 by convention). */
#define SMP_LINE_MAX 256u

typedef struct {
    uint8_t frame[SMP_FRAME_MAX];
    uint32_t decoded;        /* bytes of frame filled */
    uint8_t quad[4];         /* base64 characters waiting for a full group */
    uint32_t quad_used;
    uint32_t line_used;      /* bytes of the current line so far */
    uint8_t line_start[2];   /* its first two bytes (the delimiter) */
    int in_packet;           /* a start line was seen and the packet is not complete */
    int line_bad;            /* the current line is dropped */
    uint32_t dropped;        /* packets dropped: bad base64, length, CRC, overlong line */
} smp_receiver;

void smp_receiver_reset(smp_receiver *rx);

/* Takes one received byte. Returns the SMP packet's length once a packet is
 * complete and its CRC matched (the packet is at rx->frame + 2), else 0. */
uint32_t smp_receive(smp_receiver *rx, uint8_t byte);

/* Sends one SMP packet as lines of at most 127 bytes through put(). */
void smp_send(const uint8_t *packet, uint32_t length, void (*put)(uint8_t));

uint16_t smp_crc16(const uint8_t *bytes, uint32_t length);

#endif
