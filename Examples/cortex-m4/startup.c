/*
 * Startup for the Cortex-M4 of QEMU's mps2-an386: vector table, reset handler
 * (.data copy, .bss clear, FPU on, stack painting), fault handlers.
 */
#include "firmware.h"

extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_bottom[], __stack_top[];

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);
void Default_Handler(void);

/* The first 16 entries of the Cortex-M vector table; this firmware enables
 * no external interrupt. */
__attribute__((section(".isr_vector"), used))
const void *const vector_table[16] = {
    __stack_top,        /* initial main stack pointer */
    Reset_Handler,
    Default_Handler,    /* NMI */
    Fault_Handler,      /* HardFault */
    Fault_Handler,      /* MemManage */
    Fault_Handler,      /* BusFault */
    Fault_Handler,      /* UsageFault (a Swift trap is `udf`: lands here) */
    0, 0, 0, 0,
    Default_Handler,    /* SVCall */
    Default_Handler,    /* DebugMonitor */
    0,
    Default_Handler,    /* PendSV */
    Default_Handler,    /* SysTick */
};

uint32_t stack_pointer(void) {
    uint32_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

uint32_t stack_top(void) { return (uint32_t)__stack_top; }
uint32_t stack_size(void) { return (uint32_t)__stack_top - (uint32_t)__stack_bottom; }

/* Paints from the bottom of the stack up to just below this function's own
 * frame. Everything below the caller's stack pointer is free at this point. */
__attribute__((noinline)) void stack_repaint(void) {
    volatile uint32_t *p = __stack_bottom;
    volatile uint32_t *end = (volatile uint32_t *)(stack_pointer() & ~7u) - 8;
    while (p < end) *p++ = STACK_PAINT;
}

uint32_t stack_low_water(void) {
    const volatile uint32_t *p = __stack_bottom;
    while (p < (const volatile uint32_t *)__stack_top && *p == STACK_PAINT) p++;
    return (uint32_t)p;
}

__attribute__((noreturn)) void Reset_Handler(void) {
    /* .data from its load address in flash, then .bss. Volatile pointers keep
     * the compiler from turning the loops into memcpy/memset calls. */
    volatile uint32_t *dst = __data_start;
    const volatile uint32_t *src = __data_load;
    while (dst < __data_end) *dst++ = *src++;
    for (volatile uint32_t *p = __bss_start; p < __bss_end; p++) *p = 0;

    /* Full access to CP10/CP11 (the FPU): the Swift code is built for an
     * armv7em with VFPv4-D16 and may use it to move 64-bit values. */
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20;
    __asm__ volatile("dsb\n isb" ::: "memory");

    /* Paint the whole free stack; run.sh's peak-stack figure is the lowest
     * word found changed after the run. */
    stack_repaint();

    board_exit(main());
}

/* Reports the stacked PC of the faulting code and exits non-zero. */
__attribute__((used)) void fault_report(const uint32_t *frame, uint32_t exc_return) {
    volatile uint32_t *scb = (volatile uint32_t *)0xE000ED00u;
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    out("\nFAULT: pc ");
    out_hex32(frame[6]);
    out(" lr ");
    out_hex32(frame[5]);
    out(" cfsr ");
    out_hex32(scb[0x28 / 4]);
    out(" hfsr ");
    out_hex32(scb[0x2C / 4]);
    out(" ipsr ");
    out_hex32(ipsr);
    out(" exc_return ");
    out_hex32(exc_return);
    /* CFSR.UNDEFINSTR with a `udf` at PC: a Swift precondition/overflow trap. */
    const uint16_t *pc = (const uint16_t *)(frame[6] & ~1u);
    int is_udf = (scb[0x28 / 4] & (1u << 16)) && (*pc & 0xFF00u) == 0xDE00u;
    out(is_udf ? " (udf: Swift trap)\n" : "\n");
    board_exit(is_udf ? EXIT_TRAP : EXIT_FAULT);
}

__attribute__((naked)) void Fault_Handler(void) {
    __asm__ volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "mov r1, lr\n"
        "b fault_report\n");
}

void Default_Handler(void) {
    out("\nunexpected exception\n");
    board_exit(EXIT_FAULT);
}
