/*
 * The few C runtime pieces the Embedded Swift loader object and this firmware
 * link against, with no C library: semihosting output and exit, memory
 * functions, ARM EABI helpers, stack protector, and allocator/random traps
 * that end the run with a non-zero status if anything ever calls them.
 */
#include "firmware.h"

/* ---- ARM semihosting: `bkpt 0xab`, operation in r0, argument in r1. ---- */

enum { SYS_WRITE0 = 0x04, SYS_EXIT = 0x18, SYS_EXIT_EXTENDED = 0x20 };
enum { ADP_Stopped_ApplicationExit = 0x20026, ADP_Stopped_InternalError = 0x20024 };

static uint32_t semihost(uint32_t op, const void *arg) {
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

uint32_t semihost_call(uint32_t op, const void *arg) { return semihost(op, arg); }

static char line[161];
static uint32_t line_used;

void out_flush(void) {
    if (line_used == 0) return;
    line[line_used] = 0;
    semihost(SYS_WRITE0, line);
    line_used = 0;
}

void out(const char *text) {
    for (; *text; text++) {
        line[line_used++] = *text;
        if (*text == '\n' || line_used == sizeof line - 1) out_flush();
    }
}

void out_pad(const char *text, uint32_t width) {
    uint32_t n = 0;
    for (const char *p = text; *p; p++) n++;
    out(text);
    while (n++ < width) out(" ");
}

void out_u64(uint64_t value) {
    char digits[21];
    int i = 20;
    digits[i] = 0;
    do {
        digits[--i] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    out(&digits[i]);
}

void out_u32(uint32_t value) { out_u64(value); }

void out_i32(int32_t value) {
    if (value < 0) {
        out("-");
        out_u64((uint64_t)(-(int64_t)value));
    } else {
        out_u64((uint64_t)value);
    }
}

void out_hex(const uint8_t *bytes, uint32_t count) {
    static const char hex[] = "0123456789abcdef";
    char pair[3] = {0, 0, 0};
    for (uint32_t i = 0; i < count; i++) {
        pair[0] = hex[bytes[i] >> 4];
        pair[1] = hex[bytes[i] & 15];
        out(pair);
    }
}

void out_hex32(uint32_t value) {
    uint8_t be[4] = {(uint8_t)(value >> 24), (uint8_t)(value >> 16), (uint8_t)(value >> 8), (uint8_t)value};
    out("0x");
    out_hex(be, 4);
}

/* SYS_EXIT_EXTENDED: reason ApplicationExit with a status code; QEMU exits
 * with that status. Plain SYS_EXIT (0 or 1 only) is the fallback. */
_Noreturn void board_exit(int code) {
    out_flush();
    uint32_t block[2] = {ADP_Stopped_ApplicationExit, (uint32_t)code};
    semihost(SYS_EXIT_EXTENDED, block);
    semihost(SYS_EXIT, (const void *)(uintptr_t)(code == 0 ? ADP_Stopped_ApplicationExit : ADP_Stopped_InternalError));
    for (;;) __asm__ volatile("wfi");
}

/* ---- CMSDK APB timer 0 (0x40000000): CTRL, VALUE, RELOAD. ---- */

#define TIMER0 ((volatile uint32_t *)0x40000000u)

void timer_start(void) {
    TIMER0[0] = 0;            /* stop */
    TIMER0[2] = 0xFFFFFFFFu;  /* reload */
    TIMER0[1] = 0xFFFFFFFFu;  /* value */
    TIMER0[0] = 1;            /* enable, no interrupt */
}

uint32_t timer_ticks(void) { return 0xFFFFFFFFu - TIMER0[1]; }

/* 2 instructions per round: subs, bne. */
__attribute__((noinline)) static void spin(uint32_t rounds) {
    __asm__ volatile("1: subs %0, %0, #1\n bne 1b\n" : "+r"(rounds) : : "cc");
}

void timer_calibrate(uint64_t *instructions, uint64_t *ticks) {
    const uint32_t rounds = 2000000;
    timer_start();
    spin(rounds);
    *ticks = timer_ticks();
    *instructions = 2ull * rounds;
}

/* ---- Memory functions (word-at-a-time when aligned). ---- */

void *memcpy(void *dst, const void *src, size_t n) {
    uint8_t *d = dst;
    const uint8_t *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 3) == 0) {
        for (; n >= 16; n -= 16, d += 16, s += 16) {
            ((uint32_t *)d)[0] = ((const uint32_t *)s)[0];
            ((uint32_t *)d)[1] = ((const uint32_t *)s)[1];
            ((uint32_t *)d)[2] = ((const uint32_t *)s)[2];
            ((uint32_t *)d)[3] = ((const uint32_t *)s)[3];
        }
        for (; n >= 4; n -= 4, d += 4, s += 4) *(uint32_t *)d = *(const uint32_t *)s;
    }
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d <= s || d >= s + n) return memcpy(dst, src, n);
    d += n;
    s += n;
    while (n--) *--d = *--s;
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    uint8_t *d = dst;
    uint8_t byte = (uint8_t)c;
    if (((uintptr_t)d & 3) == 0) {
        uint32_t word = byte * 0x01010101u;
        for (; n >= 16; n -= 16, d += 16) {
            ((uint32_t *)d)[0] = word;
            ((uint32_t *)d)[1] = word;
            ((uint32_t *)d)[2] = word;
            ((uint32_t *)d)[3] = word;
        }
        for (; n >= 4; n -= 4, d += 4) *(uint32_t *)d = word;
    }
    while (n--) *d++ = byte;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x < *y ? -1 : 1;
    return 0;
}

/* ARM run-time ABI aliases (note the argument order of __aeabi_memset). */
void __aeabi_memcpy(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy4(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memcpy8(void *d, const void *s, size_t n) { memcpy(d, s, n); }
void __aeabi_memmove(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove4(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memmove8(void *d, const void *s, size_t n) { memmove(d, s, n); }
void __aeabi_memset(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memset4(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memset8(void *d, size_t n, int c) { memset(d, c, n); }
void __aeabi_memclr(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr4(void *d, size_t n) { memset(d, 0, n); }
void __aeabi_memclr8(void *d, size_t n) { memset(d, 0, n); }

/* ---- 64-bit helpers (the toolchain ships no compiler-rt for armv7em).
 * Written with 32-bit halves and constant shifts only, so the compiler does
 * not call back into these functions. ---- */

uint64_t __aeabi_llsl(uint64_t value, int shift) {
    uint32_t lo = (uint32_t)value, hi = (uint32_t)(value >> 32);
    if (shift >= 64) return 0;
    if (shift >= 32) {
        hi = lo << (shift - 32);
        lo = 0;
    } else if (shift > 0) {
        hi = (hi << shift) | (lo >> (32 - shift));
        lo <<= shift;
    }
    return ((uint64_t)hi << 32) | lo;
}

uint64_t __aeabi_llsr(uint64_t value, int shift) {
    uint32_t lo = (uint32_t)value, hi = (uint32_t)(value >> 32);
    if (shift >= 64) return 0;
    if (shift >= 32) {
        lo = hi >> (shift - 32);
        hi = 0;
    } else if (shift > 0) {
        lo = (lo >> shift) | (hi << (32 - shift));
        hi >>= shift;
    }
    return ((uint64_t)hi << 32) | lo;
}

int64_t __aeabi_lasr(int64_t value, int shift) {
    uint32_t lo = (uint32_t)value;
    int32_t hi = (int32_t)((uint64_t)value >> 32);
    if (shift >= 64) shift = 63;
    if (shift >= 32) {
        lo = (uint32_t)(hi >> (shift - 32));
        hi = hi >> 31;
    } else if (shift > 0) {
        lo = (lo >> shift) | ((uint32_t)hi << (32 - shift));
        hi >>= shift;
    }
    return (int64_t)(((uint64_t)(uint32_t)hi << 32) | lo);
}

/* Restoring division, one quotient bit per round; fast path when both fit
 * 32 bits (Cortex-M4 has a hardware udiv). */
__attribute__((used)) uint64_t fw_udivmod64(uint64_t n, uint64_t d, uint64_t *rem) {
    if (d == 0) {
        out("\nTRAP: 64-bit division by zero\n");
        board_exit(EXIT_TRAP);
    }
    if ((n >> 32) == 0 && (d >> 32) == 0) {
        uint32_t q = (uint32_t)n / (uint32_t)d;
        *rem = (uint32_t)n - q * (uint32_t)d;
        return q;
    }
    uint64_t r = 0;
    for (int i = 0; i < 64; i++) {
        r = (r << 1) | (n >> 63);
        n <<= 1;
        if (r >= d) {
            r -= d;
            n |= 1;
        }
    }
    *rem = r;
    return n;
}

/* __aeabi_uldivmod returns the quotient in r0:r1 and the remainder in r2:r3. */
__attribute__((naked)) void __aeabi_uldivmod(void) {
    __asm__ volatile(
        "push {r4, lr}\n"
        "sub sp, sp, #16\n"
        "add r4, sp, #8\n"
        "str r4, [sp]\n"
        "bl fw_udivmod64\n"
        "ldrd r2, r3, [sp, #8]\n"
        "add sp, sp, #16\n"
        "pop {r4, pc}\n");
}

/* ---- Stack protector. ---- */

uintptr_t __stack_chk_guard = 0x5a17c0deu;

_Noreturn void __stack_chk_fail(void) {
    out("\nSTACK SMASHED (__stack_chk_fail)\n");
    board_exit(EXIT_STACK_SMASH);
}

/* ---- Traps: the loader must never allocate or ask for randomness. ---- */

int posix_memalign(void **result, size_t alignment, size_t size) {
    (void)result;
    (void)alignment;
    out("\nHEAP USED: posix_memalign(");
    out_u32((uint32_t)size);
    out(" bytes) called\n");
    board_exit(EXIT_HEAP_USED);
}

void free(void *pointer) {
    (void)pointer;
    out("\nHEAP USED: free() called\n");
    board_exit(EXIT_HEAP_USED);
}

/* Referenced by the embedded standard library's hashing seed. */
void arc4random_buf(void *buffer, size_t count) {
    (void)buffer;
    (void)count;
    out("\nRANDOM USED: arc4random_buf() called (Hasher seed)\n");
    board_exit(EXIT_RANDOM_USED);
}
