/*
 * Simulated page-erased flash: erase sets a whole 4 KB page to 0xFF; program
 * copies aligned multiples of 8 bytes and refuses (without writing) unless
 * every target byte is erased, as NOR flash that can only clear bits would
 * corrupt them. On a real MCU these three functions call the vendor's flash
 * driver (HAL_FLASH_Program, nrfx_nvmc_..., ...). A power cut can be
 * scheduled (sim_flash_cut_after) to test the loader's journal and resume.
 */
#include "firmware.h"
#include "flash.h"

void sim_flash_reset_stats(sim_flash *flash) {
    flash->erases = 0;
    flash->programs = 0;
    flash->programmed_bytes = 0;
    flash->read_bytes = 0;
    flash->violations = 0;
}

void sim_flash_cut_after(sim_flash *flash, uint32_t operations) { flash->cut_after = operations; }

void sim_flash_power_on(sim_flash *flash) {
    flash->powered_off = 0;
    flash->cut_after = SIM_FLASH_NO_CUT;
}

/* 1 if power fails during this erase/program. */
static int power_fails(sim_flash *flash) {
    if (flash->cut_after == SIM_FLASH_NO_CUT) return 0;
    if (flash->cut_after > 0) {
        flash->cut_after--;
        return 0;
    }
    flash->powered_off = 1;
    return 1;
}

static int in_range(const sim_flash *flash, uint32_t address, uint32_t count) {
    uint32_t size = flash->pages * FLASH_PAGE_SIZE;
    return address <= size && count <= size - address;
}

int32_t sim_flash_read(void *context, uint32_t address, uint8_t *buffer, uint32_t count) {
    sim_flash *flash = context;
    if (flash->powered_off || !in_range(flash, address, count)) return -1;
    memcpy(buffer, flash->base + address, count);
    flash->read_bytes += count;
    return 0;
}

int32_t sim_flash_erase(void *context, uint32_t page) {
    sim_flash *flash = context;
    if (flash->powered_off || page >= flash->pages) return -1;
    if (power_fails(flash)) {
        memset(flash->base + page * FLASH_PAGE_SIZE, 0xFF, FLASH_PAGE_SIZE / 2);
        return -1;
    }
    memset(flash->base + page * FLASH_PAGE_SIZE, 0xFF, FLASH_PAGE_SIZE);
    flash->erases++;
    return 0;
}

int32_t sim_flash_program(void *context, uint32_t address, const uint8_t *bytes, uint32_t count) {
    sim_flash *flash = context;
    if (flash->powered_off) return -1;
    if (!in_range(flash, address, count) || address % FLASH_PROGRAM_SIZE || count % FLASH_PROGRAM_SIZE) {
        flash->violations++;
        return -1;
    }
    const uint32_t *erased = (const uint32_t *)(flash->base + address);
    for (uint32_t i = 0; i < count / 4; i++) {
        if (erased[i] != 0xFFFFFFFFu) {
            flash->violations++;
            out("flash: program over non-erased bytes at ");
            out_hex32(address + 4 * i);
            out("\n");
            return -1;
        }
    }
    if (power_fails(flash)) {
        memcpy(flash->base + address, bytes, count / 2 / FLASH_PROGRAM_SIZE * FLASH_PROGRAM_SIZE);
        return -1;
    }
    memcpy(flash->base + address, bytes, count);
    flash->programs++;
    flash->programmed_bytes += count;
    return 0;
}
