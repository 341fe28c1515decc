/*
 * Example firmware: the adapterpack streaming loader (Embedded Swift, called
 * through adapter_loader.h's ap_stream_*) patches a TFLite model in
 * page-erased flash in place while a format-3 bundle arrives in 64-byte
 * pieces, as from a radio: the bundle stays in its const array (the "sender"),
 * and only one 64-byte receive buffer is handed to ap_stream_feed at a time.
 * Nothing holds the whole bundle.
 *
 *   1. apply the full fine-tune bundle, check the result's SHA-256; a resume
 *      at boot then reports the target after block 0 and writes nothing
 *   2. a bundle for another base is refused while it is applied
 *   3. unapply it (back to the base model)
 *   4. apply the LoRA bundle (hot swap), check, unapply
 *   5. refused before anything is written: one flipped signature bit, an
 *      older sequence (rollback), header fields >= 2^31 (no trap)
 *   6. a block corrupted in transit is refused (AP_E_BLOCK) with only the
 *      blocks before it applied; a resume with good bytes finishes the apply
 *   7. power cuts during an apply: after the "reset" AP_STREAM_RESUME is fed
 *      from ap_stream_next_offset (it jumps to the block the journal names)
 *   (core build) a bundle that needs a codec left out of the loader is
 *      refused with AP_E_NOT_BUILT_IN
 *   8. for the figures only: apply/unapply with a check() callback instead of
 *      the built-in Ed25519 verifier ("without signature verification")
 *
 * Every streamed operation is timed with the CMSDK timer (instructions under
 * QEMU -icount shift=0) and its peak stack measured by painting. Exits 0 only
 * if every check passed.
 */
#include "adapter_loader.h"
#include "assets.h"
#include "firmware.h"
#include "flash.h"
#include "model_layout.h"

/* ---- Memory the loader works in: all static, nothing else. ---- */

#define PIECE 64u         /* bytes per "radio packet" */

/* The RAM window: the largest size the bundles' fronts declare (run.sh reads
 * it from them): their block size + factor bytes + 512 + decoder workspace. */
static uint8_t window[ASSET_WINDOW_BYTES] __attribute__((aligned(8)));
static uint8_t unit_buffer[UNIT_SIZE] __attribute__((aligned(8)));
/* The loader's state between two pieces. */
static ap_stream stream;
/* The radio driver's receive buffer: the only bundle bytes in RAM. */
static uint8_t rx[PIECE] __attribute__((aligned(4)));

static sim_flash flash_sim;
static ap_flash flash;
static ap_flash_layout layout;

/* Built-in Ed25519 verifier: check == NULL and the trusted 32-byte key. */
static ap_verifier ed25519;

/* A check() callback, the hook for a crypto accelerator or an existing crypto
 * library. This one accepts exactly one pinned signed message (which holds
 * the SHA-256 of the front and block 0, and so, through the block chain, of
 * the whole bundle), i.e. an allowlist of one bundle; it is used here only to
 * measure the loader without its Ed25519 code. */
static int32_t pinned_check(void *context, uint8_t algorithm, const uint8_t *key_id,
                            const uint8_t *message, uint32_t message_length, const uint8_t *signature) {
    (void)key_id;
    (void)signature;
    const uint8_t *pinned = context;
    if (algorithm != 1) return AP_SIG_UNSUPPORTED;
    return message_length == 64 && memcmp(message, pinned, 64) == 0 ? AP_SIG_VALID : AP_SIG_INVALID;
}

/* ---- The "radio": sends a bundle from its const array in 64-byte packets. ---- */

typedef struct {
    uint32_t offset;        /* this byte arrives XORed with mask (UINT32_MAX: none) */
    uint8_t mask;
} tamper;

static const tamper clean = {0xFFFFFFFFu, 0};

/* Copies the packet at `offset` into the receive buffer, as a radio driver's
 * receive callback would find it. */
static uint32_t receive(const asset_bundle *b, uint32_t offset, const tamper *t) {
    uint32_t n = b->length - offset < PIECE ? b->length - offset : PIECE;
    memcpy(rx, b->data + offset, n);
    if (t->offset >= offset && t->offset - offset < n) rx[t->offset - offset] ^= t->mask;
    return n;
}

/* ---- Measurement. ---- */

static uint64_t calib_instructions, calib_ticks;
static uint32_t failures;
static uint32_t overall_low_water = 0xFFFFFFFFu;

typedef struct {
    int32_t rc;
    uint64_t instructions;
    uint32_t stack;          /* peak bytes below the caller's stack pointer during the stream */
    uint32_t erases, programs, programmed_bytes;
    uint32_t fed;            /* bundle bytes handed over */
    uint32_t jump;           /* first offset the loader asked for out of sequence (0: none) */
} call_stats;

static uint64_t ticks_to_instructions(uint32_t ticks) {
    return ((uint64_t)ticks * calib_instructions + calib_ticks / 2) / calib_ticks;
}

static void calibrate(void) { timer_calibrate(&calib_instructions, &calib_ticks); }

/* Streams bundle `b` into `operation` as a transport would: begin, then
 * packets from the offset the loader asks for until it is complete, then end.
 * The whole exchange is measured. */
static call_stats run_stream(int32_t operation, const ap_verifier *verifier, const asset_bundle *b,
                             uint32_t model_length, uint64_t min_sequence, const tamper *t, ap_outcome *outcome) {
    call_stats stats = {0};
    ap_outcome scratch;
    if (!outcome) outcome = &scratch;
    sim_flash_reset_stats(&flash_sim);
    stack_repaint();
    uint32_t sp = stack_pointer();
    timer_start();
    stats.rc = ap_stream_begin(&stream, operation, verifier, window, sizeof window, &flash, &layout,
                               model_length, min_sequence);
    uint32_t expected = 0;
    while (stats.rc == AP_OK && !ap_stream_is_complete(&stream)) {
        uint32_t at = ap_stream_next_offset(&stream);
        if (at >= b->length) break;   /* the sender has nothing more: ap_stream_end says what is missing */
        if (at != expected && stats.jump == 0) stats.jump = at;
        uint32_t n = receive(b, at, t);
        stats.rc = ap_stream_feed(&stream, rx, n, at);
        stats.fed += n;
        expected = at + n;
    }
    int32_t ended = ap_stream_end(&stream, outcome);
    if (stats.rc == AP_OK) stats.rc = ended;
    uint32_t ticks = timer_ticks();
    uint32_t low = stack_low_water();
    if (low < overall_low_water) overall_low_water = low;
    stats.instructions = ticks_to_instructions(ticks);
    stats.stack = sp - low;
    stats.erases = flash_sim.erases;
    stats.programs = flash_sim.programs;
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

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The format-3 front (FORMAT2: 112 bytes, then the 64-byte signature, then block 0). */
#define FRONT_SIZE 112u
#define FIRST_BLOCK 176u
#define TRAILER 34u
static uint32_t front_sequence(const asset_bundle *b) { return le32(b->data + 32); }
static const uint8_t *front_target_sha256(const asset_bundle *b) { return b->data + 80; }

/* Start of block `index` (walking the trailers), or 0 past the last. */
static uint32_t block_start(const asset_bundle *b, uint32_t index, uint32_t *length) {
    uint32_t at = FIRST_BLOCK, n = le16(b->data + 28);
    for (uint32_t i = 0; i < index; i++) {
        if (at + n >= b->length) return 0;
        uint32_t next = le16(b->data + at + n - TRAILER);
        at += n;
        n = next;
    }
    if (length) *length = n;
    return at;
}

static uint32_t block_count(const asset_bundle *b) {
    uint32_t count = 1;
    while (block_start(b, count, 0)) count++;
    return count;
}

static void print_call(const char *what, const call_stats *s) {
    out("  ");
    out_pad(what, 22);
    out(" rc ");
    out_i32(s->rc);
    out(" (");
    out(ap_error_name(s->rc));
    out("), ");
    out_u64(s->instructions);
    out(" instructions, stack ");
    out_u32(s->stack);
    out(" B, ");
    out_u32(s->fed);
    out(" B fed, flash ");
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
    uint32_t window, weights, biases, blocks;
} bundle_report;

static bundle_report reports[ASSET_BUNDLE_COUNT];

static void apply_and_check(int index, const ap_verifier *verifier, call_stats *verify, call_stats *apply,
                            ap_outcome *outcome) {
    const asset_bundle *b = &asset_bundles[index];
    bundle_report *r = &reports[index];

    out("\n== ");
    out(b->name);
    out(".apb (");
    out_u32(b->length);
    out(" bytes, ");
    out_u32(r->blocks);
    out(" blocks) in ");
    out_u32(PIECE);
    out("-byte pieces, ");
    out(verifier->check ? "check() callback verifier: the figures without Ed25519 ==\n" : "built-in Ed25519 verifier ==\n");

    *verify = run_stream(AP_STREAM_VERIFY, verifier, b, 0, 0, &clean, 0);
    print_call("AP_STREAM_VERIFY", verify);
    check(verify->rc == AP_OK && verify->erases == 0 && verify->programmed_bytes == 0,
          verifier->check ? "signature (check callback) and every block verify; nothing written"
                          : "signature (built-in Ed25519) and every block verify; nothing written");

    *apply = run_stream(AP_STREAM_APPLY, verifier, b, ASSET_BASE_LENGTH, 0, &clean, outcome);
    print_call("AP_STREAM_APPLY", apply);
    check(apply->rc == AP_OK, "streamed apply returned AP_OK");
    check(apply->fed == b->length, "... every bundle byte handed over once, in order");
    check(outcome->state == AP_MODEL_TARGET, "outcome: model is the target");
    check(outcome->interpreter_must_be_recreated == 1, "outcome: interpreter must be re-created");
    uint8_t digest[32];
    model_sha256(outcome->model_length, digest);
    print_digest("sha256 (firmware)", digest);
    print_digest("sha256 (loader)", outcome->model_sha256);
    print_digest("target in bundle", front_target_sha256(b));
    print_digest("sha256 on host", b->target_sha256);
    check(memcmp(digest, front_target_sha256(b), 32) == 0, "SHA-256 of the flash equals the bundle's target hash");
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
    *unapply = run_stream(AP_STREAM_UNAPPLY, verifier, b, outcome->model_length, 0, &clean, outcome);
    print_call("AP_STREAM_UNAPPLY", unapply);
    check(unapply->rc == AP_OK && outcome->state == AP_MODEL_BASE, "unapply returned AP_OK, model is the base");
    check(model_is(base_sha256, ASSET_BASE_LENGTH), "SHA-256 of the flash equals base.tflite's");
    check(flash_sim.violations == 0, "no program over non-erased flash");
}

/* Streams a bundle (optionally altered in transit) into an apply; expects the
 * error `expected` (AP_OK: any error) and the flash untouched. */
static void refused(const asset_bundle *b, const tamper *t, uint64_t min_sequence, int32_t expected,
                    const char *what, const uint8_t model_before[32], uint32_t length) {
    call_stats s = run_stream(AP_STREAM_APPLY, &ed25519, b, length, min_sequence, t, 0);
    print_call("AP_STREAM_APPLY", &s);
    check(expected == AP_OK ? s.rc != AP_OK : s.rc == expected, what);
    check(s.erases == 0 && s.programmed_bytes == 0 && model_is(model_before, length),
          "... before writing anything: flash untouched");
}

/* After a reset (or a refused block): resume the same bundle, fed from the
 * offset the loader asks for; if nothing had been written yet it reports the
 * base, and the apply is streamed again. Checks that the flash ends at the target. */
static call_stats resume_to_target(int index, const char *what) {
    const asset_bundle *b = &asset_bundles[index];
    ap_outcome outcome = {0};
    call_stats s = run_stream(AP_STREAM_RESUME, &ed25519, b, 0, 0, &clean, &outcome);
    print_call("AP_STREAM_RESUME", &s);
    out("    resume: ");
    out_u32(s.fed);
    out(" of ");
    out_u32(b->length);
    out(" bundle bytes fed");
    if (s.jump) {
        out(", jumped to offset ");
        out_u32(s.jump);
        out(" after block 0");
    }
    out(s.rc == AP_OK && outcome.state == AP_MODEL_BASE ? "; nothing had been written: the base\n" : "\n");
    if (s.rc == AP_OK && outcome.state == AP_MODEL_BASE) {
        call_stats again = run_stream(AP_STREAM_APPLY, &ed25519, b, ASSET_BASE_LENGTH, 0, &clean, &outcome);
        print_call("AP_STREAM_APPLY again", &again);
    }
    check(s.rc == AP_OK, what);
    check(model_is(b->target_sha256, outcome.model_length) && outcome.state == AP_MODEL_TARGET,
          "... the flash holds the target (SHA-256 as on the host)");
    check(flash_sim.violations == 0, "no program over non-erased flash");
    return s;
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
    if (per_weight && r->weights) {
        out(" per_weight_x100=");
        out_u64(s->instructions * 100 / r->weights);
    }
    out(" erases=");
    out_u32(s->erases);
    out(" programmed=");
    out_u32(s->programmed_bytes);
    out(" fed=");
    out_u32(s->fed);
    out(" jump=");
    out_u32(s->jump);
    out("\n");
}

int main(void) {
    out("adapterpack streaming loader on Cortex-M4 (QEMU mps2-an386), Embedded Swift via adapter_loader.h\n");
    calibrate();
    out("timer calibration: ");
    out_u64(calib_instructions);
    out(" instructions = ");
    out_u64(calib_ticks);
    out(" ticks of CMSDK timer 0\n");

    model_layout_init(&flash_sim, &flash, &layout, unit_buffer, sim_flash_erase, sim_flash_program);
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
    out(" B + ap_stream ");
    out_u32(sizeof stream);
    out(" B (loader state ");
    out_u32(ap_stream_state_size());
    out(" B) + receive buffer ");
    out_u32(sizeof rx);
    out(" B (static), stack ");
    out_u32(stack_size());
    out(" B\n");
    check(ap_stream_state_size() <= sizeof stream, "the loader's state fits ap_stream");
    check(model_is(base_sha256, ASSET_BASE_LENGTH), "flash holds base.tflite");
    for (int i = 0; i < ASSET_BUNDLE_COUNT; i++) {
        reports[i].window = le32(asset_bundles[i].data + 20);
        reports[i].blocks = block_count(&asset_bundles[i]);
        reports[i].weights = asset_bundles[i].weights;
        reports[i].biases = asset_bundles[i].biases;
        check(reports[i].window <= sizeof window, "declared window fits the static window");
    }

    /* 1. full fine-tune */
    ap_outcome outcome = {0};
    apply_and_check(0, &ed25519, &reports[0].verify, &reports[0].apply, &outcome);
    uint8_t applied[32];
    memcpy(applied, outcome.model_sha256, 32);
    uint32_t applied_length = outcome.model_length;
    uint32_t apply_operations = reports[0].apply.erases + reports[0].apply.programs;

    /* After a reset a firmware resumes before it builds its interpreter. With
     * nothing cut short the loader reports which model the flash holds after
     * block 0 (trust re-established) and writes nothing. */
    call_stats noop;
    {
        ap_outcome resumed = {0};
        noop = run_stream(AP_STREAM_RESUME, &ed25519, &asset_bundles[0], 0, 0, &clean, &resumed);
        print_call("AP_STREAM_RESUME", &noop);
        check(noop.rc == AP_OK && resumed.state == AP_MODEL_TARGET && resumed.model_length == applied_length,
              "resume (boot-time call): AP_OK, the flash holds the target");
        uint32_t first;
        block_start(&asset_bundles[0], 0, &first);
        check(noop.fed < FIRST_BLOCK + first + PIECE, "... complete after block 0");
        check(noop.erases == 0 && noop.programmed_bytes == 0 && model_is(applied, applied_length),
              "... and wrote nothing");
    }

    /* 2. the other bundle's base is not on the flash now */
    out("  (refusal) second bundle while the first is applied:\n");
    refused(&asset_bundles[1], &clean, 0, AP_E_BASE_MISMATCH, "refused: AP_E_BASE_MISMATCH", applied, applied_length);

    /* 3. back to base */
    unapply_and_check(0, &ed25519, &reports[0].unapply, &outcome);

    /* 4. hot swap: LoRA */
    apply_and_check(1, &ed25519, &reports[1].verify, &reports[1].apply, &outcome);
    unapply_and_check(1, &ed25519, &reports[1].unapply, &outcome);

    /* 5. refused before anything is written */
    out("\n== lora.apb altered in transit, or too old ==\n");
    tamper signature_bit = {FRONT_SIZE + 17, 1};
    refused(&asset_bundles[1], &signature_bit, 0, AP_E_SIGNATURE, "one signature bit flipped: AP_E_SIGNATURE",
            base_sha256, ASSET_BASE_LENGTH);
    tamper block0_bit = {FIRST_BLOCK + 40, 4};
    refused(&asset_bundles[1], &block0_bit, 0, AP_E_SIGNATURE, "one bit of block 0 flipped: AP_E_SIGNATURE",
            base_sha256, ASSET_BASE_LENGTH);
    refused(&asset_bundles[1], &clean, front_sequence(&asset_bundles[1]) + 1, AP_E_ROLLBACK,
            "min_sequence above the bundle's: AP_E_ROLLBACK", base_sha256, ASSET_BASE_LENGTH);

#ifdef HOSTILE_HEADER_TESTS
    /* Unsigned front fields at or above 2^31 (bit 7 of their top byte set):
     * must be refused, not trap. On a 32-bit target Int(UInt32) traps for such
     * values, so this is where a 64-bit host test cannot help. */
    static const struct { uint32_t offset; const char *field; } hostile[] = {
        {11, "refused: bundle length >= 2^31"},
        {15, "refused: base length >= 2^31"},
        {19, "refused: target length >= 2^31"},
        {23, "refused: window size >= 2^31"},
        {27, "refused: step bound >= 2^31"},
        {35, "refused: sequence >= 2^31"},
    };
    out("\n== hostile front fields ==\n");
    for (uint32_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        out("  byte ");
        out_u32(hostile[i].offset);
        out(" ^= 0x80\n");
        tamper t = {hostile[i].offset, 0x80};
        refused(&asset_bundles[1], &t, 0, AP_OK, hostile[i].field, base_sha256, ASSET_BASE_LENGTH);
    }
#endif

    /* 6. a block corrupted in transit: refused when it is complete, before any
     * of its records run; the blocks before it stay applied and journaled. */
    {
        const asset_bundle *b = &asset_bundles[0];
        uint32_t blocks = reports[0].blocks, bad = blocks / 2, length;
        uint32_t start = block_start(b, bad, &length);
        out("\n== full-ft.apb with one byte of block ");
        out_u32(bad);
        out(" of ");
        out_u32(blocks);
        out(" (offset ");
        out_u32(start + length / 2);
        out(") corrupted in transit ==\n");
        tamper t = {start + length / 2, 0x20};
        call_stats s = run_stream(AP_STREAM_APPLY, &ed25519, b, ASSET_BASE_LENGTH, 0, &t, 0);
        print_call("AP_STREAM_APPLY", &s);
        check(s.rc == AP_E_BLOCK, "refused: AP_E_BLOCK");
        check(s.fed <= start + length + PIECE, "... as soon as that block was complete");
        check(!model_is(asset_bundles[0].target_sha256, ASSET_BASE_LENGTH), "... the flash is not the target");
        resume_to_target(0, "resume with good bytes: AP_OK");
        unapply_and_check(0, &ed25519, &reports[0].unapply, &outcome);
    }

    /* 7. power cuts during a streamed apply, then the reset's resume */
    static call_stats cut_resume[3];
    static uint32_t cut_at[3];
    for (uint32_t k = 0; k < 3; k++) {
        cut_at[k] = apply_operations * (k + 1) / 4;
        out("\n== power cut at flash operation ");
        out_u32(cut_at[k]);
        out(" of about ");
        out_u32(apply_operations);
        out(" of the full-ft apply ==\n");
        sim_flash_cut_after(&flash_sim, cut_at[k]);
        call_stats s = run_stream(AP_STREAM_APPLY, &ed25519, &asset_bundles[0], ASSET_BASE_LENGTH, 0, &clean, 0);
        print_call("AP_STREAM_APPLY", &s);
        check(s.rc == AP_E_FLASH, "cut short: AP_E_FLASH");
        sim_flash_power_on(&flash_sim);
        out("  -- reset --\n");
        cut_resume[k] = resume_to_target(0, "AP_STREAM_RESUME from ap_stream_next_offset: AP_OK");
        unapply_and_check(0, &ed25519, &reports[0].unapply, &outcome);
    }

#if ASSET_FOREIGN_BUNDLE
    /* A loader built without some codecs (-D ADAPTERPACK_NO_...) refuses a
     * bundle that uses them. */
    out("\n== ");
    out(asset_foreign_bundle.name);
    out(".apb: made for the full loader (deflate, low-rank) ==\n");
    {
        call_stats s = run_stream(AP_STREAM_APPLY, &ed25519, &asset_foreign_bundle, ASSET_BASE_LENGTH, 0, &clean, 0);
        print_call("AP_STREAM_APPLY", &s);
        check(s.rc == AP_E_NOT_BUILT_IN, "refused: AP_E_NOT_BUILT_IN");
        check(s.programmed_bytes == 0 && model_is(base_sha256, ASSET_BASE_LENGTH),
              "... with the model unchanged");
    }
#endif

    /* 8. the loader without its Ed25519 code: check() callback */
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
    out_row(asset_bundles[0].name, "resume-noop", &noop, &reports[0], 0);
    for (uint32_t k = 0; k < 3; k++) {
        out("METRIC cut ");
        out_u32(k);
        out(" at=");
        out_u32(cut_at[k]);
        out(" instructions=");
        out_u64(cut_resume[k].instructions);
        out(" stack=");
        out_u32(cut_resume[k].stack);
        out(" fed=");
        out_u32(cut_resume[k].fed);
        out(" jump=");
        out_u32(cut_resume[k].jump);
        out("\n");
    }
    uint32_t declared = 0;
    for (int i = 0; i < ASSET_BUNDLE_COUNT; i++)
        if (reports[i].window > declared) declared = reports[i].window;
    out("METRIC ram declared=");
    out_u32(declared);
    out(" window=");
    out_u32(sizeof window);
    out(" unit=");
    out_u32(sizeof unit_buffer);
    out(" stream=");
    out_u32(sizeof stream);
    out(" state=");
    out_u32(ap_stream_state_size());
    out(" rx=");
    out_u32(sizeof rx);
    out("\n");
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
