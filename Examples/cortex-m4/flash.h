/* A simulated page-erased NOR flash over a memory region (flash.c). */
#ifndef FLASH_H
#define FLASH_H

#include <stdint.h>

#define FLASH_PAGE_SIZE 4096u    /* erase granularity */
#define FLASH_PROGRAM_SIZE 8u    /* program granularity (a double word, as on STM32L4/G4) */

typedef struct sim_flash {
    uint8_t *base;               /* start of the region, page aligned */
    uint32_t pages;
    /* Statistics since sim_flash_reset_stats. */
    uint32_t erases;
    uint32_t programs;
    uint32_t programmed_bytes;
    uint32_t read_bytes;
    uint32_t violations;         /* programs refused: target bytes not erased, misaligned, out of range */
    /* Power-cut simulation: after `cut_after` more erases/programs succeed,
     * the next one is cut short (half the page erased, half the bytes
     * programmed) and every call fails until sim_flash_power_on. */
    uint32_t cut_after;          /* SIM_FLASH_NO_CUT: never */
    uint32_t powered_off;
} sim_flash;

#define SIM_FLASH_NO_CUT 0xFFFFFFFFu

void sim_flash_reset_stats(sim_flash *flash);
void sim_flash_cut_after(sim_flash *flash, uint32_t operations);
void sim_flash_power_on(sim_flash *flash);   /* the reset after a cut: calls work again */

/* The three callbacks of ap_flash; context is a sim_flash *. Return 0 on success. */
int32_t sim_flash_read(void *context, uint32_t address, uint8_t *buffer, uint32_t count);
int32_t sim_flash_erase(void *context, uint32_t page);
int32_t sim_flash_program(void *context, uint32_t address, const uint8_t *bytes, uint32_t count);

#endif
