/* CMSDK APB UART 0 of mps2-an386, polled (QEMU connects it to the first
 * -serial device: a pty or a TCP socket). */
#ifndef UART_H
#define UART_H

#include <stdint.h>

void uart_init(void);
void uart_put(uint8_t byte);
/* Waits for the next received byte. */
uint8_t uart_get(void);

#endif
