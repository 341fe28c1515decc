/* How both firmwares (main.c, smp/smp_main.c) lay out the simulated flash's
 * model region for the loader (LOADER.md §2): the model pages, one scratch
 * unit, the journal in the pages left; and the ap_flash / ap_flash_layout
 * that hand it to the loader. */
#ifndef MODEL_LAYOUT_H
#define MODEL_LAYOUT_H

#include "adapter_loader.h"
#include "assets.h"
#include "flash.h"

#define UNIT_SIZE 4096u   /* one power-fail step: a multiple of the page and of the bundles' segment size */
#define FLASH_PAGES (ASSET_MODEL_FLASH_BYTES / FLASH_PAGE_SIZE)
#define MODEL_PAGES ((ASSET_MODEL_MAX_LENGTH + FLASH_PAGE_SIZE - 1) / FLASH_PAGE_SIZE)
#define SCRATCH_PAGE MODEL_PAGES
#define JOURNAL_PAGE (SCRATCH_PAGE + UNIT_SIZE / FLASH_PAGE_SIZE)
#define JOURNAL_PAGES (FLASH_PAGES - JOURNAL_PAGE)
_Static_assert(JOURNAL_PAGE < FLASH_PAGES, "model flash region too small for model + scratch + journal");

/* The simulated flash over model_flash, its callbacks (erase and program may
 * wrap sim_flash_erase/_program) and the layout with its unit buffer. */
static inline void model_layout_init(sim_flash *sim, ap_flash *flash, ap_flash_layout *layout, uint8_t *unit_buffer,
                                     int32_t (*erase)(void *, uint32_t),
                                     int32_t (*program)(void *, uint32_t, const uint8_t *, uint32_t)) {
    sim->base = model_flash;
    sim->pages = FLASH_PAGES;
    sim->cut_after = SIM_FLASH_NO_CUT;
    *flash = (ap_flash){sim, FLASH_PAGE_SIZE, FLASH_PROGRAM_SIZE, FLASH_PAGES, sim_flash_read, erase, program};
    *layout = (ap_flash_layout){MODEL_PAGES, SCRATCH_PAGE, JOURNAL_PAGE, JOURNAL_PAGES, UNIT_SIZE, unit_buffer};
}

#endif
