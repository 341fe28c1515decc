/*
 * Example firmware: the adapterpack loader (Embedded Swift, called through
 * adapter_loader.h) patches a TFLite model in page-erased flash in place.
 *
 *   1. apply the full fine-tune bundle, check the result's SHA-256
 *   2. a bundle for another base is refused while it is applied
 *   3. unapply it (back to the base model)
 *   4. apply the LoRA bundle (hot swap), check, unapply
 *   5. a bundle with one flipped signature bit is refused
 *   (core build) a bundle that needs a codec left out of the loader is
 *      refused with AP_E_NOT_BUILT_IN before anything is written
 *   6. for the figures only: the same apply/unapply with a check() callback
 *      instead of the built-in Ed25519 verifier (the loader "without
 *      signature verification", as with a crypto accelerator)
 *
 * Every loader call is timed with the CMSDK timer (instructions under QEMU
 * -icount shift=0) and its peak stack measured by painting. Exits 0 only if
 * every check passed.
 */
#include "adapter_loader.h"
#include "assets.h"
#include "firmware.h"
#include "flash.h"

/* ---- Memory the loader works in: all static, nothing else. ---- */

#define UNIT_SIZE 4096u   /* one power-fail step: a multiple of the page and of the bundles' segment size */
#define FLASH_PAGES (ASSET_MODEL_FLASH_BYTES / FLASH_PAGE_SIZE)
#define MODEL_PAGES ((ASSET_MODEL_MAX_LENGTH + FLASH_PAGE_SIZE - 1) / FLASH_PAGE_SIZE)
#define SCRATCH_PAGE MODEL_PAGES
#define JOURNAL_PAGE (SCRATCH_PAGE + UNIT_SIZE / FLASH_PAGE_SIZE)
#define JOURNAL_PAGES (FLASH_PAGES - JOURNAL_PAGE)
_Static_assert(JOURNAL_PAGE < FLASH_PAGES, "model flash region too small for model + scratch + journal");

/* The RAM window: the largest size the bundles declare (run.sh reads it from
 * their headers; ap_window_size() says the same at run time). */
static uint8_t window[ASSET_WINDOW_BYTES] __attribute__((aligned(8)));
static uint8_t unit_buffer[UNIT_SIZE] __attribute__((aligned(8)));

static sim_flash flash_sim;
static ap_flash flash;
static ap_flash_layout layout;

/* Built-in Ed25519 verifier: check == NULL and the trusted 32-byte key. */
static ap_verifier ed25519;

/* A check() callback, the hook for a crypto accelerator or an existing crypto
 * library. This one accepts exactly one pinned signed message (which holds
 * the SHA-256 of the whole bundle), i.e. an allowlist of one bundle; it is
 * used here only to measure the loader without its Ed25519 code. */
static int32_t pinned_check(void *context, uint8_t algorithm, const uint8_t *key_id,
                            const uint8_t *message, uint32_t message_length, const uint8_t *signature) {
    (void)key_id;
    (void)signature;
    const uint8_t *pinned = context;
    if (algorithm != 1) return AP_SIG_UNSUPPORTED;
    return message_length == 96 && memcmp(message, pinned, 96) == 0 ? AP_SIG_VALID : AP_SIG_INVALID;
}

/* ---- Bundle source over a byte array in flash. ---- */

typedef struct {
    const uint8_t *data;
    uint32_t length;
    uint32_t flip_offset;   /* tests only: this byte reads XORed with flip_mask (UINT32_MAX: none) */
    uint8_t flip_mask;
} array_source;

static uint32_t array_read(void *context, uint32_t offset, uint8_t *buffer, uint32_t count) {
    const array_source *source = context;
    if (offset > source->length) return 0;
    if (count > source->length - offset) count = source->length - offset;
    memcpy(buffer, source->data + offset, count);
    if (source->flip_offset >= offset && source->flip_offset - offset < count)
        buffer[source->flip_offset - offset] ^= source->flip_mask;
    return count;
}

/* ---- Measurement. ---- */

static uint64_t calib_instructions, calib_ticks;
static uint32_t failures;
static uint32_t overall_low_water = 0xFFFFFFFFu;

typedef struct {
    int32_t rc;
    uint64_t instructions;
    uint32_t stack;          /* peak bytes below the caller's stack pointer during the call */
    uint32_t erases, programmed_bytes;
} call_stats;

static uint64_t ticks_to_instructions(uint32_t ticks) {
    return ((uint64_t)ticks * calib_instructions + calib_ticks / 2) / calib_ticks;
}

/* 2 instructions per round: subs, bne. */
__attribute__((noinline)) static void spin(uint32_t rounds) {
    __asm__ volatile("1: subs %0, %0, #1\n bne 1b\n" : "+r"(rounds) : : "cc");
}

static void calibrate(void) {
    const uint32_t rounds = 2000000;
    timer_start();
    spin(rounds);
    calib_ticks = timer_ticks();
    calib_instructions = 2ull * rounds;
}

enum { OP_VERIFY, OP_APPLY, OP_UNAPPLY };

static call_stats run(int op, const ap_verifier *verifier, const ap_bundle_source *source, uint32_t window_size,
                      ap_outcome *outcome) {
    call_stats stats;
    sim_flash_reset_stats(&flash_sim);
    stack_repaint();
    uint32_t sp = stack_pointer();
    timer_start();
    switch (op) {
    case OP_VERIFY:
        stats.rc = ap_verify(source, verifier, window, window_size, 0);
        break;
    case OP_APPLY:
        stats.rc = ap_apply_flash(source, verifier, window, window_size, &flash, &layout,
                                  ASSET_BASE_LENGTH, 0, outcome);
        break;
    default:
        stats.rc = ap_unapply_flash(source, verifier, window, window_size, &flash, &layout,
                                    outcome->model_length, outcome);
        break;
    }
    uint32_t ticks = timer_ticks();
    uint32_t low = stack_low_water();
    if (low < overall_low_water) overall_low_water = low;
    stats.instructions = ticks_to_instructions(ticks);
    stats.stack = sp - low;
    stats.erases = flash_sim.erases;
    stats.programmed_bytes = flash_sim.programmed_bytes;
    return stats;
}

/* ---- Checks. ---- */

static void check(int ok, const char *what) {
    out(ok ? "  ok    " : "  FAIL  ");
    out(what);
    out("\n");
    if (!ok) failures++;
}

static void model_sha256(uint32_t length, uint8_t digest[32]) {
    sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, model_flash, length);
    sha256_final(&ctx, digest);
}

static int model_is(const uint8_t expected[32], uint32_t length) {
    uint8_t digest[32];
    model_sha256(length, digest);
    return memcmp(digest, expected, 32) == 0;
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t element_size(uint8_t tflite_type) {
    switch (tflite_type) {
    case 0: case 2: return 4;   /* FLOAT32, INT32 */
    case 1: case 7: return 2;   /* FLOAT16, INT16 */
    case 4: case 10: return 8;  /* INT64, FLOAT64 */
    default: return 1;          /* INT8, UINT8, ... */
    }
}

/* Weights and biases in the tensors the bundle changes, from its tensor map
 * (FORMAT.md §7: u32 offset, u32 length, u8 type, u8 rank, u8 qdim, u8 role). */
static void count_parameters(const asset_bundle *b, uint32_t *weights, uint32_t *biases) {
    *weights = *biases = 0;
    uint32_t sections = b->data[10] | (uint32_t)b->data[11] << 8;
    for (uint32_t i = 0; i < sections; i++) {
        const uint8_t *entry = b->data + 128 + 48 * i;
        if ((entry[0] | entry[1] << 8) != 2) continue;
        uint32_t offset = le32(entry + 4), length = le32(entry + 8);
        for (uint32_t at = offset; at + 32 <= offset + length; at += 32) {
            const uint8_t *tensor = b->data + at;
            uint32_t elements = le32(tensor + 4) / element_size(tensor[8]);
            if (tensor[11] & 1) *weights += elements;
            if (tensor[11] & 2) *biases += elements;
        }
    }
}

static void print_call(const char *what, const call_stats *s) {
    out("  ");
    out_pad(what, 18);
    out(" rc ");
    out_i32(s->rc);
    out(" (");
    out(ap_error_name(s->rc));
    out("), ");
    out_u64(s->instructions);
    out(" instructions, stack ");
    out_u32(s->stack);
    out(" B, flash ");
    out_u32(s->erases);
    out(" erases / ");
    out_u32(s->programmed_bytes);
    out(" B programmed\n");
}

static void print_digest(const char *label, const uint8_t digest[32]) {
    out("  ");
    out_pad(label, 22);
    out_hex(digest, 32);
    out("\n");
}

/* ---- The run. ---- */

typedef struct {
    call_stats verify, apply, unapply;            /* built-in Ed25519 */
    call_stats verify_cb, apply_cb, unapply_cb;   /* check() callback */
    uint32_t window, weights, biases;
} bundle_report;

static bundle_report reports[ASSET_BUNDLE_COUNT];

static void apply_and_check(int index, const ap_verifier *verifier, call_stats *verify, call_stats *apply,
                            ap_outcome *outcome) {
    const asset_bundle *b = &asset_bundles[index];
    bundle_report *r = &reports[index];
    array_source bytes = {b->data, b->length, 0xFFFFFFFFu, 0};
    ap_bundle_source source = {&bytes, b->length, array_read};

    out("\n== ");
    out(b->name);
    out(".apb (");
    out_u32(b->length);
    out(" bytes), ");
    out(verifier->check ? "check() callback verifier: the figures without Ed25519 ==\n" : "built-in Ed25519 verifier ==\n");

    r->window = ap_window_size(&source);
    out("  window declared by the bundle: ");
    out_u32(r->window);
    out(" bytes (static window: ");
    out_u32(sizeof window);
    out(")\n");
    check(r->window >= 512 && r->window <= sizeof window, "declared window fits the static window");
    count_parameters(b, &r->weights, &r->biases);

    *verify = run(OP_VERIFY, verifier, &source, r->window, 0);
    print_call("ap_verify", verify);
    check(verify->rc == AP_OK, verifier->check ? "signature (check callback) and section digests verify"
                                               : "signature (built-in Ed25519) and section digests verify");

    *apply = run(OP_APPLY, verifier, &source, r->window, outcome);
    print_call("ap_apply_flash", apply);
    check(apply->rc == AP_OK, "apply returned AP_OK");
    check(outcome->state == AP_MODEL_TARGET, "outcome: model is the target");
    check(outcome->interpreter_must_be_recreated == 1, "outcome: interpreter must be re-created");
    uint8_t digest[32];
    model_sha256(outcome->model_length, digest);
    print_digest("sha256 (firmware)", digest);
    print_digest("sha256 (loader)", outcome->model_sha256);
    print_digest("target in bundle", b->data + 96);
    print_digest("sha256 on host", b->target_sha256);
    check(memcmp(digest, b->data + 96, 32) == 0, "SHA-256 of the flash equals the bundle's target hash");
    check(memcmp(digest, outcome->model_sha256, 32) == 0, "... and the hash the loader reported");
    check(memcmp(digest, b->target_sha256, 32) == 0, "... and sha256sum of the .tflite on the host");
    check(flash_sim.violations == 0, "no program over non-erased flash");
    out("  -> TFLite Micro: destroy and re-create the interpreter (AllocateTensors) before the next Invoke\n");
    out("  -> persist outcome.sequence = ");
    out_u64(outcome->sequence);
    out(" as the minimum sequence (anti-rollback)\n");
}

static void unapply_and_check(int index, const ap_verifier *verifier, call_stats *unapply, ap_outcome *outcome) {
    const asset_bundle *b = &asset_bundles[index];
    array_source bytes = {b->data, b->length, 0xFFFFFFFFu, 0};
    ap_bundle_source source = {&bytes, b->length, array_read};
    *unapply = run(OP_UNAPPLY, verifier, &source, reports[index].window, outcome);
    print_call("ap_unapply_flash", unapply);
    check(unapply->rc == AP_OK && outcome->state == AP_MODEL_BASE, "unapply returned AP_OK, model is the base");
    check(model_is(base_sha256, ASSET_BASE_LENGTH), "SHA-256 of the flash equals base.tflite's");
    check(flash_sim.violations == 0, "no program over non-erased flash");
}

/* Applies a bundle that reads with one byte changed; expects the error code
 * `expected` (AP_OK: any error) and the flash untouched. */
static void refused(const asset_bundle *b, uint32_t flip_offset, uint8_t flip_mask, uint32_t window_size,
                    int32_t expected, const char *what, const uint8_t model_before[32], uint32_t length) {
    array_source bytes = {b->data, b->length, flip_offset, flip_mask};
    ap_bundle_source source = {&bytes, b->length, array_read};
    ap_outcome outcome = {0};
    call_stats s = run(OP_APPLY, &ed25519, &source, window_size, &outcome);
    print_call("ap_apply_flash", &s);
    check(expected == AP_OK ? s.rc != AP_OK : s.rc == expected, what);
    check(s.erases == 0 && s.programmed_bytes == 0 && model_is(model_before, length),
          "... before writing anything: flash untouched");
}

static void out_row(const char *name, const char *op, const call_stats *s, const bundle_report *r, int per_weight) {
    out("METRIC ");
    out(name);
    out(" ");
    out(op);
    out(" instructions=");
    out_u64(s->instructions);
    out(" stack=");
    out_u32(s->stack);
    out(" window=");
    out_u32(r->window);
    out(" weights=");
    out_u32(r->weights);
    out(" biases=");
    out_u32(r->biases);
    if (per_weight) {
        out(" per_weight_x100=");
        out_u64(s->instructions * 100 / r->weights);
    }
    out(" erases=");
    out_u32(s->erases);
    out(" programmed=");
    out_u32(s->programmed_bytes);
    out("\n");
}

int main(void) {
    out("adapterpack loader on Cortex-M4 (QEMU mps2-an386), Embedded Swift via adapter_loader.h\n");
    calibrate();
    out("timer calibration: ");
    out_u64(calib_instructions);
    out(" instructions = ");
    out_u64(calib_ticks);
    out(" ticks of CMSDK timer 0\n");

    flash_sim.base = model_flash;
    flash_sim.pages = FLASH_PAGES;
    flash = (ap_flash){&flash_sim, FLASH_PAGE_SIZE, FLASH_PROGRAM_SIZE, FLASH_PAGES,
                       sim_flash_read, sim_flash_erase, sim_flash_program};
    layout = (ap_flash_layout){MODEL_PAGES, SCRATCH_PAGE, JOURNAL_PAGE, JOURNAL_PAGES, UNIT_SIZE, unit_buffer};
    ed25519 = (ap_verifier){0, 0, ed25519_public_key};   /* check == NULL: built-in Ed25519 */

    out("model flash at ");
    out_hex32((uint32_t)model_flash);
    out(": ");
    out_u32(FLASH_PAGES);
    out(" pages of 4 KB = model pages [0, ");
    out_u32(MODEL_PAGES);
    out("), scratch page ");
    out_u32(SCRATCH_PAGE);
    out(", journal pages [");
    out_u32(JOURNAL_PAGE);
    out(", ");
    out_u32(FLASH_PAGES);
    out(")\nRAM: window ");
    out_u32(sizeof window);
    out(" B + unit buffer ");
    out_u32(sizeof unit_buffer);
    out(" B (static), stack ");
    out_u32(stack_size());
    out(" B\n");
    check(model_is(base_sha256, ASSET_BASE_LENGTH), "flash holds base.tflite");

    /* 1. full fine-tune */
    ap_outcome outcome = {0};
    apply_and_check(0, &ed25519, &reports[0].verify, &reports[0].apply, &outcome);
    uint8_t applied[32];
    memcpy(applied, outcome.model_sha256, 32);
    uint32_t applied_length = outcome.model_length;

    /* After a reset a firmware calls ap_resume_flash before it builds its
     * interpreter. With nothing cut short it reports which model the flash
     * holds and writes nothing. */
    {
        array_source bytes = {asset_bundles[0].data, asset_bundles[0].length, 0xFFFFFFFFu, 0};
        ap_bundle_source source = {&bytes, asset_bundles[0].length, array_read};
        ap_outcome resumed = {0};
        sim_flash_reset_stats(&flash_sim);
        int32_t rc = ap_resume_flash(&source, &ed25519, window, reports[0].window, &flash, &layout, &resumed);
        out("  ap_resume_flash after the apply: ");
        out(ap_error_name(rc));
        out("\n");
        check(rc == AP_OK && resumed.state == AP_MODEL_TARGET && resumed.model_length == applied_length,
              "resume (boot-time call): AP_OK, the flash holds the target");
        check(flash_sim.erases == 0 && flash_sim.programmed_bytes == 0 && model_is(applied, applied_length),
              "... and wrote nothing");
    }

    /* 2. the other bundle's base is not on the flash now */
    out("  (refusal) second bundle while the first is applied:\n");
    refused(&asset_bundles[1], 0xFFFFFFFFu, 0, (uint32_t)sizeof window, AP_E_BASE_MISMATCH,
            "refused: AP_E_BASE_MISMATCH", applied, applied_length);

    /* 3. back to base */
    unapply_and_check(0, &ed25519, &reports[0].unapply, &outcome);

    /* 4. hot swap: LoRA */
    apply_and_check(1, &ed25519, &reports[1].verify, &reports[1].apply, &outcome);
    unapply_and_check(1, &ed25519, &reports[1].unapply, &outcome);

    /* 5. one flipped bit in the signature section's signature bytes */
    out("\n== tampered lora.apb (one bit of the signature flipped) ==\n");
    refused(&asset_bundles[1], asset_bundles[1].length - 60, 1, reports[1].window, AP_E_SIGNATURE,
            "refused: AP_E_SIGNATURE", base_sha256, ASSET_BASE_LENGTH);

#if ASSET_FOREIGN_BUNDLE
    /* A loader built without some codecs (-D ADAPTERPACK_NO_...) refuses a
     * bundle that uses them, before it changes anything. */
    out("\n== ");
    out(asset_foreign_bundle.name);
    out(".apb: made for the full loader (deflate, low-rank) ==\n");
    refused(&asset_foreign_bundle, 0xFFFFFFFFu, 0, (uint32_t)sizeof window, AP_E_NOT_BUILT_IN,
            "refused: AP_E_NOT_BUILT_IN", base_sha256, ASSET_BASE_LENGTH);
#endif

#ifdef HOSTILE_HEADER_TESTS
    /* Unsigned header and table fields at or above 2^31 (bit 7 of their top
     * byte set): must be refused, not trap. On a 32-bit target Int(UInt32)
     * traps for such values, so this is where a 64-bit host test cannot help.
     * Opt-in (run.sh with M4_HOSTILE=1) until the loader refuses them all. */
    static const struct { uint32_t offset; const char *field; } hostile[] = {
        {19, "refused: bundle length >= 2^31"},
        {23, "refused: window size >= 2^31"},
        {35, "refused: base length >= 2^31"},
        {39, "refused: target length >= 2^31"},
        {43, "refused: segment size >= 2^31"},
        {128 + 48 + 7, "refused: section 1 offset >= 2^31"},
        {128 + 48 + 11, "refused: section 1 stored length >= 2^31"},
        {128 + 48 + 15, "refused: section 1 decoded length >= 2^31"},
    };
    out("\n== hostile header fields ==\n");
    for (uint32_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        out("  byte ");
        out_u32(hostile[i].offset);
        out(" ^= 0x80\n");
        refused(&asset_bundles[1], hostile[i].offset, 0x80, reports[1].window, AP_OK, hostile[i].field,
                base_sha256, ASSET_BASE_LENGTH);
    }
#endif

    /* 6. the loader without its Ed25519 code: check() callback */
    for (int i = 0; i < ASSET_BUNDLE_COUNT; i++) {
        ap_verifier pinned = {(void *)asset_bundles[i].signed_message, pinned_check, 0};
        apply_and_check(i, &pinned, &reports[i].verify_cb, &reports[i].apply_cb, &outcome);
        unapply_and_check(i, &pinned, &reports[i].unapply_cb, &outcome);
    }

    /* Reference: this firmware's own C SHA-256 over the base model. */
    uint8_t digest[32];
    timer_start();
    model_sha256(ASSET_BASE_LENGTH, digest);
    uint64_t sha_instructions = ticks_to_instructions(timer_ticks());

    /* Summary for run.sh. */
    out("\n");
    for (int i = 0; i < ASSET_BUNDLE_COUNT; i++) {
        out_row(asset_bundles[i].name, "verify", &reports[i].verify, &reports[i], 0);
        out_row(asset_bundles[i].name, "apply", &reports[i].apply, &reports[i], 1);
        out_row(asset_bundles[i].name, "unapply", &reports[i].unapply, &reports[i], 1);
        out_row(asset_bundles[i].name, "verify-cb", &reports[i].verify_cb, &reports[i], 0);
        out_row(asset_bundles[i].name, "apply-cb", &reports[i].apply_cb, &reports[i], 1);
        out_row(asset_bundles[i].name, "unapply-cb", &reports[i].unapply_cb, &reports[i], 1);
    }
    out("METRIC sha256-c model bytes=");
    out_u32(ASSET_BASE_LENGTH);
    out(" instructions=");
    out_u64(sha_instructions);
    out("\n");
    out("METRIC stack peak_since_reset=");
    out_u32(stack_top() - overall_low_water);
    out(" size=");
    out_u32(stack_size());
    out("\nMETRIC calibration instructions=");
    out_u64(calib_instructions);
    out(" ticks=");
    out_u64(calib_ticks);
    out("\n");

    if (failures) {
        out("\nFAILED: ");
        out_u32(failures);
        out(" check(s)\n");
        return EXIT_CHECK_FAILED;
    }
    out("\nALL CHECKS PASSED\n");
    return EXIT_OK;
}
