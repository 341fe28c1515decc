/* CMSDK APB UART (ARM DDI 0479): DATA, STATE (bit 0 TX full, bit 1 RX full),
 * CTRL (bit 0 TX enable, bit 1 RX enable), BAUDDIV (at least 16). QEMU holds
 * back input while the one-byte receive buffer is full, so polling loses
 * nothing; a real board would take bytes in the RX interrupt into a ring. */
#include "uart.h"

#define UART0_BASE 0x40004000u
#define UART_DATA (*(volatile uint32_t *)(UART0_BASE + 0x00))
#define UART_STATE (*(volatile uint32_t *)(UART0_BASE + 0x04))
#define UART_CTRL (*(volatile uint32_t *)(UART0_BASE + 0x08))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10))

enum { STATE_TX_FULL = 1u, STATE_RX_FULL = 2u, CTRL_TX_EN = 1u, CTRL_RX_EN = 2u };

void uart_init(void) {
    UART_BAUDDIV = 217;   /* 25 MHz / 115200 */
    UART_CTRL = CTRL_TX_EN | CTRL_RX_EN;
}

void uart_put(uint8_t byte) {
    while (UART_STATE & STATE_TX_FULL) {
    }
    UART_DATA = byte;
}

uint8_t uart_get(void) {
    while (!(UART_STATE & STATE_RX_FULL)) {
    }
    return (uint8_t)UART_DATA;
}
