/*
 * adapter_loader.h — C API of the adapterpack device loader.
 *
 * The loader verifies a signed adapter bundle and applies it to (or removes it
 * from) a frozen TFLite model in place. It allocates nothing: all working
 * memory is the `window` you pass (at least the bundle's declared window
 * size, see ap_window_size), plus, for flash, one unit buffer.
 *
 * After any call that returns AP_OK with outcome.interpreter_must_be_recreated
 * set, the model bytes changed: destroy and re-create the TensorFlow Lite
 * Micro interpreter (AllocateTensors again) before the next inference,
 * because kernels cache values computed from weights and scales at Prepare.
 *
 * Persist outcome.sequence as the device's minimum sequence only after
 * ap_apply_* returned AP_OK (anti-rollback).
 */
#ifndef ADAPTER_LOADER_H
#define ADAPTER_LOADER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where the bundle is read from (flash staging slot, download buffer).
 * read() copies up to `count` bytes at `offset` and returns how many; 0 = failure. */
typedef struct ap_bundle_source {
    void *context;
    uint32_t length;
    uint32_t (*read)(void *context, uint32_t offset, uint8_t *buffer, uint32_t count);
} ap_bundle_source;

/* Signature check results. */
enum { AP_SIG_VALID = 0, AP_SIG_INVALID = 1, AP_SIG_UNKNOWN_KEY = 2, AP_SIG_UNSUPPORTED = 3 };

/* Checks the signature of the 96-byte signed message (FORMAT.md §5).
 * With check == NULL, the loader's built-in Ed25519 verifier is used with
 * the 32-byte key at ed25519_public_key. */
typedef struct ap_verifier {
    void *context;
    int32_t (*check)(void *context, uint8_t algorithm, const uint8_t *key_id /* 32 */,
                     const uint8_t *message, uint32_t message_length,
                     const uint8_t *signature /* 64 */);
    const uint8_t *ed25519_public_key;
} ap_verifier;

/* Page-erased flash. All callbacks return 0 on success. */
typedef struct ap_flash {
    void *context;
    uint32_t page_size;     /* erase granularity */
    uint32_t program_size;  /* program granularity */
    uint32_t page_count;
    int32_t (*read)(void *context, uint32_t address, uint8_t *buffer, uint32_t count);
    int32_t (*erase)(void *context, uint32_t page);
    int32_t (*program)(void *context, uint32_t address, const uint8_t *bytes, uint32_t count);
} ap_flash;

/* Model pages [0, model_pages), scratch of unit_size bytes at scratch_page,
 * journal_pages pages at journal_page (LOADER.md §2). unit_size is a multiple
 * of the page size and of the bundle's segment size (4096 by default). */
typedef struct ap_flash_layout {
    uint32_t model_pages;
    uint32_t scratch_page;
    uint32_t journal_page;
    uint32_t journal_pages;
    uint32_t unit_size;
    uint8_t *unit_buffer;   /* unit_size bytes of RAM */
} ap_flash_layout;

enum { AP_MODEL_BASE = 0, AP_MODEL_TARGET = 1 };

typedef struct ap_outcome {
    int32_t state;                      /* AP_MODEL_BASE or AP_MODEL_TARGET */
    int32_t interpreter_must_be_recreated;
    uint64_t sequence;
    uint32_t model_length;
    uint8_t model_sha256[32];
} ap_outcome;

/* Return codes: AP_OK or a negative error; ap_error_name() names it. */
enum {
    AP_OK = 0,
    AP_E_FORMAT = -1,            /* malformed bundle (bad magic, truncated, ...) */
    AP_E_VERSION = -2,           /* unknown major format version */
    AP_E_DIGEST = -3,            /* a section's SHA-256 does not match */
    AP_E_SIGNATURE = -4,         /* signature invalid */
    AP_E_UNKNOWN_KEY = -5,       /* no trusted key has the bundle's key id */
    AP_E_ALGORITHM = -6,         /* signature algorithm not supported */
    AP_E_WINDOW = -7,            /* RAM window too small: see ap_window_size */
    AP_E_ROLLBACK = -8,          /* bundle older than min_sequence */
    AP_E_BASE_MISMATCH = -9,     /* the model is not the bundle's base */
    AP_E_NOT_TARGET = -10,       /* unapply: the model is not the bundle's target */
    AP_E_TARGET_MISMATCH = -11,  /* apply produced a wrong model; base restored */
    AP_E_STORE = -12,            /* model store too small, wrong length, or I/O error */
    AP_E_FLASH = -13,            /* a flash callback failed */
    AP_E_JOURNAL = -14,          /* journal too small for this bundle */
    AP_E_CANNOT_RESUME = -15,    /* model is neither base nor target and no journal */
    AP_E_UNIT = -16,             /* unit size not a multiple of the segment size */
    AP_E_ARGUMENT = -17,         /* a NULL pointer or inconsistent argument */
    AP_E_NOT_BUILT_IN = -18      /* the bundle needs a codec this loader was built without */
};

const char *ap_error_name(int32_t code);

/* Bytes of RAM window the bundle declares (0 if its header is unreadable). */
uint32_t ap_window_size(const ap_bundle_source *source);

int32_t ap_verify(const ap_bundle_source *source, const ap_verifier *verifier,
                  uint8_t *window, uint32_t window_size, uint64_t min_sequence);

/* Model in RAM: `model` holds model_length bytes and has model_capacity bytes of room. */
int32_t ap_apply_ram(const ap_bundle_source *source, const ap_verifier *verifier,
                     uint8_t *window, uint32_t window_size,
                     uint8_t *model, uint32_t model_capacity, uint32_t model_length,
                     uint64_t min_sequence, ap_outcome *outcome);
int32_t ap_unapply_ram(const ap_bundle_source *source, const ap_verifier *verifier,
                       uint8_t *window, uint32_t window_size,
                       uint8_t *model, uint32_t model_capacity, uint32_t model_length,
                       ap_outcome *outcome);

/* Model in page-erased flash, power-fail safe. After a reset during apply or
 * unapply, call ap_resume_flash with the same bundle. */
int32_t ap_apply_flash(const ap_bundle_source *source, const ap_verifier *verifier,
                       uint8_t *window, uint32_t window_size,
                       const ap_flash *flash, const ap_flash_layout *layout, uint32_t model_length,
                       uint64_t min_sequence, ap_outcome *outcome);
int32_t ap_unapply_flash(const ap_bundle_source *source, const ap_verifier *verifier,
                         uint8_t *window, uint32_t window_size,
                         const ap_flash *flash, const ap_flash_layout *layout, uint32_t model_length,
                         ap_outcome *outcome);
int32_t ap_resume_flash(const ap_bundle_source *source, const ap_verifier *verifier,
                        uint8_t *window, uint32_t window_size,
                        const ap_flash *flash, const ap_flash_layout *layout, ap_outcome *outcome);

#ifdef __cplusplus
}
#endif
#endif /* ADAPTER_LOADER_H */
