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
} sim_flash;

void sim_flash_reset_stats(sim_flash *flash);

/* The three callbacks of ap_flash; context is a sim_flash *. Return 0 on success. */
int32_t sim_flash_read(void *context, uint32_t address, uint8_t *buffer, uint32_t count);
int32_t sim_flash_erase(void *context, uint32_t page);
int32_t sim_flash_program(void *context, uint32_t address, const uint8_t *bytes, uint32_t count);

#endif
