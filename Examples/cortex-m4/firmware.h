/* Board support shared by the example firmware's C files (mps2-an386 on QEMU). */
#ifndef FIRMWARE_H
#define FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes seen by the host (QEMU's exit status, via SYS_EXIT_EXTENDED). */
enum {
    EXIT_OK = 0,
    EXIT_CHECK_FAILED = 1,  /* a loader call or a hash comparison failed */
    EXIT_HEAP_USED = 3,     /* posix_memalign/free was called */
    EXIT_STACK_SMASH = 4,   /* __stack_chk_fail */
    EXIT_RANDOM_USED = 5,   /* arc4random_buf was called */
    EXIT_FAULT = 6,         /* a CPU fault */
    EXIT_TRAP = 7           /* a Swift runtime trap (udf) or division by zero */
};

/* Semihosting (runtime.c). semihost_call: any operation (r0 = op, r1 = arg),
 * for the SMP firmware's host-file flash (smp/hostfile.c). */
uint32_t semihost_call(uint32_t op, const void *arg);
void out(const char *text);              /* SYS_WRITE0 */
void out_u32(uint32_t value);            /* decimal */
void out_u64(uint64_t value);            /* decimal */
void out_i32(int32_t value);
void out_hex(const uint8_t *bytes, uint32_t count);
void out_hex32(uint32_t value);          /* 0x%08x */
void out_pad(const char *text, uint32_t width); /* text, then spaces up to width */
void out_flush(void);
_Noreturn void board_exit(int code);     /* SYS_EXIT_EXTENDED */

/* CMSDK APB timer 0 counting down from 2^32-1 at the board's peripheral
 * clock (runtime.c). Under `-icount shift=0` QEMU's virtual clock advances
 * 1 ns per guest instruction, so ticks are proportional to instructions. */
void timer_start(void);
uint32_t timer_ticks(void);              /* ticks since timer_start */
/* Runs a loop of known length (2,000,000 rounds of subs/bne) between
 * timer_start and timer_ticks: instructions per tick = *instructions / *ticks.
 * The timer keeps running afterwards. */
void timer_calibrate(uint64_t *instructions, uint64_t *ticks);

/* Stack painting (startup.c). */
#define STACK_PAINT 0xC5C5C5C5u
uint32_t stack_pointer(void);
void stack_repaint(void);                /* repaints the free stack below the caller */
uint32_t stack_low_water(void);          /* lowest stack address ever written since the last repaint */
uint32_t stack_top(void);
uint32_t stack_size(void);

/* SHA-256 (sha256.c), for the firmware's own check of the result. */
typedef struct {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    uint32_t used;
} sha256_ctx;
void sha256_init(sha256_ctx *ctx);
void sha256_update(sha256_ctx *ctx, const uint8_t *bytes, uint32_t count);
void sha256_final(sha256_ctx *ctx, uint8_t digest[32]);

/* Freestanding memory functions (runtime.c). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
