/*
 * SMP (MCUmgr) firmware: the board listens on UART 0 for SMP serial frames
 * and takes adapterpack bundles through the image-management upload command,
 * the one MCUmgr clients (smpclient/smpmgr, the mcumgr CLI) use for firmware
 * images. Each upload chunk goes straight into the streaming loader
 * (ap_stream_feed): blocks are verified and applied to the model in flash as
 * they arrive, and the response's "off" is the offset the loader wants next,
 * so a client that restarts an interrupted upload is told where to continue.
 * No slot holds the bundle.
 *
 * Commands:
 *   OS group (0):    MCUmgr parameters (6), read: buf_size, buf_count
 *                    reset (5), write: answers, then ends the run (QEMU exits 0)
 *   image group (1): upload (1), write: off, data, len (first chunk), sha, image
 *                    state (0), read: one image, slot 0, whose "hash" is the
 *                    SHA-256 of the model now in flash (what a bundle names as
 *                    its base or target)
 * Anything else: MGMT_ERR_ENOTSUP. Malformed frames are dropped (bad CRC,
 * base64, length); malformed requests get MGMT_ERR_EINVAL; refused bundles an
 * image-management error (SMP version 2) naming the class of refusal, and
 * the loader's own error name in the log.
 *
 * The simulated flash (model, scratch unit, journal) and an upload record are
 * kept in a host file through semihosting (smp-flash.bin in QEMU's working
 * directory), every erase and program written through: restarting QEMU is a
 * reset of the board with its flash intact, at any point of an upload.
 */
#include "adapter_loader.h"
#include "../assets.h"
#include "../firmware.h"
#include "../flash.h"
#include "../model_layout.h"
#include "cbor.h"
#include "hostfile.h"
#include "smp_serial.h"
#include "uart.h"

/* Largest bundle an upload may announce (the product's limit). */
#define MAX_BUNDLE_BYTES 102400u
#define FLASH_FILE "smp-flash.bin"

/* SMP header (8 bytes): op (bits 0-2) and version (bits 3-4), flags,
 * length (BE), group (BE), sequence, command. */
enum { OP_READ = 0, OP_READ_RSP = 1, OP_WRITE = 2, OP_WRITE_RSP = 3 };
enum { GROUP_OS = 0, GROUP_IMAGE = 1 };
enum { OS_RESET = 5, OS_PARAMETERS = 6, IMAGE_STATE = 0, IMAGE_UPLOAD = 1 };
enum { MGMT_ERR_EINVAL = 3, MGMT_ERR_EBADSTATE = 6, MGMT_ERR_ENOTSUP = 8 };
/* Image-management error codes (Zephyr's img_mgmt). */
enum {
    IMG_ERR_UNKNOWN = 1, IMG_ERR_FLASH_WRITE_FAILED = 12, IMG_ERR_INVALID_SLOT = 14, IMG_ERR_INVALID_OFFSET = 20,
    IMG_ERR_INVALID_LENGTH = 21, IMG_ERR_INVALID_IMAGE_HEADER = 22, IMG_ERR_INVALID_HASH = 24,
    IMG_ERR_CURRENT_VERSION_IS_NEWER = 27, IMG_ERR_DATA_OVERRUN = 31
};

static uint8_t window[ASSET_WINDOW_BYTES] __attribute__((aligned(8)));
static uint8_t unit_buffer[UNIT_SIZE] __attribute__((aligned(8)));
static ap_stream stream;
static sim_flash flash_sim;
static ap_flash flash;
static ap_flash_layout layout;
static ap_verifier ed25519;
static smp_receiver receiver;

/* Measurement (QEMU -icount shift=0: timer ticks x the calibrated ratio are
 * instructions): the ticks spent processing received bytes (framing, CBOR,
 * the loader), not waiting for them, and the stack's low-water mark, per upload. */
static uint64_t calib_instructions, calib_ticks;
static uint64_t upload_ticks;
static uint32_t upload_requests;
static int report_pending;

static uint8_t response[SMP_FRAME_MAX - 4];

/* ---- Flash that survives a restart of QEMU. ---- */

/* What the device must remember across a reset besides the flash itself. */
typedef struct {
    uint32_t magic;
    uint32_t in_progress;    /* an apply was begun and not finished: the next upload resumes */
    uint32_t model_length;   /* bytes of the model in flash */
    uint32_t reserved;
    uint64_t sequence;       /* of the last bundle applied (anti-rollback floor) */
} device_record;
#define RECORD_MAGIC 0x31524D53u   /* "SMR1" */

static int32_t flash_file = -1;
static device_record record;

static void save_record(void) {
    if (hostfile_write(flash_file, ASSET_MODEL_FLASH_BYTES, (const uint8_t *)&record, sizeof record) != 0) {
        out("smp: cannot write the device record\n");
        board_exit(EXIT_CHECK_FAILED);
    }
}

static int32_t persistent_erase(void *context, uint32_t page) {
    int32_t rc = sim_flash_erase(context, page);
    if (rc == 0) rc = hostfile_write(flash_file, page * FLASH_PAGE_SIZE, model_flash + page * FLASH_PAGE_SIZE, FLASH_PAGE_SIZE);
    return rc;
}

static int32_t persistent_program(void *context, uint32_t address, const uint8_t *bytes, uint32_t count) {
    int32_t rc = sim_flash_program(context, address, bytes, count);
    if (rc == 0) rc = hostfile_write(flash_file, address, model_flash + address, count);
    return rc;
}

/* Restores the flash from the host file, or writes the factory image (the
 * base model from the ELF) to a new one. */
static void boot_flash(void) {
    flash_file = hostfile_open(FLASH_FILE, HOSTFILE_UPDATE_BINARY);
    if (flash_file >= 0 && hostfile_length(flash_file) == (int32_t)(ASSET_MODEL_FLASH_BYTES + sizeof record)
        && hostfile_read(flash_file, 0, model_flash, ASSET_MODEL_FLASH_BYTES) == 0
        && hostfile_read(flash_file, ASSET_MODEL_FLASH_BYTES, (uint8_t *)&record, sizeof record) == 0
        && record.magic == RECORD_MAGIC && record.model_length <= MODEL_PAGES * FLASH_PAGE_SIZE) {
        out("smp: flash restored from " FLASH_FILE "\n");
        return;
    }
    flash_file = hostfile_open(FLASH_FILE, HOSTFILE_CREATE_BINARY);
    if (flash_file < 0 || hostfile_write(flash_file, 0, model_flash, ASSET_MODEL_FLASH_BYTES) != 0) {
        out("smp: cannot create " FLASH_FILE "\n");
        board_exit(EXIT_CHECK_FAILED);
    }
    record = (device_record){RECORD_MAGIC, 0, ASSET_BASE_LENGTH, 0, 0};
    save_record();
    out("smp: factory flash (the base model) written to " FLASH_FILE "\n");
}

static void model_sha256(uint8_t digest[32]) {
    sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, model_flash, record.model_length);
    sha256_final(&ctx, digest);
}

static void log_model(void) {
    uint8_t digest[32];
    model_sha256(digest);
    out("smp: model ");
    out_u32(record.model_length);
    out(" bytes, sha256 ");
    out_hex(digest, 32);
    out("\n");
}

/* ---- Responses. ---- */

static void send_response(const uint8_t *request, const cbor_writer *w) {
    uint32_t length = (uint32_t)(w->at - (response + 8));
    uint8_t op = request[0] & 7;
    response[0] = (uint8_t)((request[0] & 0x18) | (op == OP_READ ? OP_READ_RSP : OP_WRITE_RSP));
    response[1] = 0;
    response[2] = (uint8_t)(length >> 8);
    response[3] = (uint8_t)length;
    response[4] = request[4];
    response[5] = request[5];
    response[6] = request[6];
    response[7] = request[7];
    smp_send(response, 8 + length, uart_put);
}

static cbor_writer body(void) { return (cbor_writer){response + 8, response + sizeof response, 0}; }

/* {"rc": code}: the general (version 1) form. */
static void send_mgmt_error(const uint8_t *request, uint32_t code) {
    cbor_writer w = body();
    cbor_put_head(&w, CBOR_MAP, 1);
    cbor_put_text(&w, "rc");
    cbor_put_int(&w, code);
    send_response(request, &w);
}

/* A group error: {"err": {"group": 1, "rc": code}} for SMP version 2,
 * {"rc": EINVAL} for a version 1 client. */
static void send_image_error(const uint8_t *request, uint32_t code) {
    if (((request[0] >> 3) & 3) == 0) {
        send_mgmt_error(request, MGMT_ERR_EINVAL);
        return;
    }
    cbor_writer w = body();
    cbor_put_head(&w, CBOR_MAP, 1);
    cbor_put_text(&w, "err");
    cbor_put_head(&w, CBOR_MAP, 2);
    cbor_put_text(&w, "group");
    cbor_put_int(&w, GROUP_IMAGE);
    cbor_put_text(&w, "rc");
    cbor_put_int(&w, code);
    send_response(request, &w);
}

/* ---- The upload session: one ap_stream per upload. ---- */

static struct {
    int open;
    int32_t operation;       /* AP_STREAM_APPLY or AP_STREAM_RESUME */
    uint32_t total;          /* bundle length the first chunk announced */
    uint8_t sha[32];
    int has_sha;
} session;

static void report_upload(void) {
    out("METRIC smp-upload bytes=");
    out_u32(session.total);
    out(" requests=");
    out_u32(upload_requests);
    out(" instructions=");
    out_u64(calib_ticks ? (upload_ticks * calib_instructions + calib_ticks / 2) / calib_ticks : 0);
    out(" stack=");
    out_u32(stack_top() - stack_low_water());
    out("\n");
    out_flush();
}

static uint32_t image_error_for(int32_t rc) {
    switch (rc) {
    case AP_E_SIGNATURE:
    case AP_E_UNKNOWN_KEY:
    case AP_E_BLOCK:
    case AP_E_BASE_MISMATCH:
        return IMG_ERR_INVALID_HASH;
    case AP_E_ROLLBACK:
        return IMG_ERR_CURRENT_VERSION_IS_NEWER;
    case AP_E_FLASH:
        return IMG_ERR_FLASH_WRITE_FAILED;
    case AP_E_STREAM:
        return IMG_ERR_INVALID_OFFSET;
    case AP_E_FORMAT:
    case AP_E_NOT_BUILT_IN:
        return IMG_ERR_INVALID_IMAGE_HEADER;
    default:
        return IMG_ERR_UNKNOWN;
    }
}

static void end_session(void) {
    if (session.open) {
        ap_outcome ignored;
        (void)ap_stream_end(&stream, &ignored);
    }
    session.open = 0;
}

static int32_t begin_session(int32_t operation, uint32_t total, const uint8_t *sha) {
    end_session();
    uint64_t floor = operation == AP_STREAM_APPLY ? record.sequence : 0;
    int32_t rc = ap_stream_begin(&stream, operation, &ed25519, window, sizeof window, &flash, &layout,
                                 record.model_length, floor);
    if (rc != AP_OK) return rc;
    session.open = 1;
    session.operation = operation;
    session.total = total;
    session.has_sha = sha != 0;
    if (sha) memcpy(session.sha, sha, 32);
    if (operation == AP_STREAM_APPLY && !record.in_progress) {
        record.in_progress = 1;
        save_record();
    }
    out(operation == AP_STREAM_APPLY ? "smp: upload of " : "smp: upload resumes the interrupted apply, ");
    out_u32(total);
    out(" bytes\n");
    return AP_OK;
}

static void refuse(const uint8_t *request, int32_t rc, uint32_t offset) {
    out("smp: upload refused at offset ");
    out_u32(offset);
    out(": ");
    out(ap_error_name(rc));
    out("\n");
    end_session();
    log_model();
    send_image_error(request, image_error_for(rc));
}

/* The stream needs no more bytes: ends it. Returns the offset to answer
 * with: the bundle length once applied, or 0 when a resume found nothing to
 * finish (the flash holds the base) and a fresh apply has begun. */
static int32_t complete_session(uint32_t *answer) {
    ap_outcome outcome;
    int32_t rc = ap_stream_end(&stream, &outcome);
    session.open = 0;
    if (rc != AP_OK) return rc;
    if (outcome.state == AP_MODEL_BASE) {
        out("smp: nothing to resume (the flash holds the base): applying from the start\n");
        record.in_progress = 0;
        uint32_t total = session.total;
        uint8_t sha[32];
        int has_sha = session.has_sha;
        memcpy(sha, session.sha, 32);
        rc = begin_session(AP_STREAM_APPLY, total, has_sha ? sha : 0);
        *answer = 0;
        return rc;
    }
    record.in_progress = 0;
    record.model_length = outcome.model_length;
    record.sequence = outcome.sequence;
    save_record();
    out("smp: applied, sequence ");
    out_u64(outcome.sequence);
    out("\n");
    log_model();
    report_pending = 1;   /* main's loop prints the figures once this request is counted */
    *answer = session.total;
    return AP_OK;
}

static int text_is(const uint8_t *text, uint64_t length, const char *name) {
    uint64_t i = 0;
    for (; name[i]; i++)
        if (i >= length || text[i] != (uint8_t)name[i]) return 0;
    return i == length;
}

static void upload(const uint8_t *request, cbor_reader *r) {
    uint8_t major;
    uint64_t entries, off = UINT64_MAX, len = UINT64_MAX, image = 0, data_length = 0;
    const uint8_t *data = 0, *sha = 0;
    if (!cbor_head(r, &major, &entries) || major != CBOR_MAP) {
        send_mgmt_error(request, MGMT_ERR_EINVAL);
        return;
    }
    for (uint64_t i = 0; i < entries && !r->error; i++) {
        uint64_t key_length, value;
        if (!cbor_head(r, &major, &key_length) || major != CBOR_TEXT) break;
        const uint8_t *key = cbor_take(r, key_length);
        if (!key) break;
        const cbor_reader at = *r;
        if (!cbor_head(r, &major, &value)) break;
        if (text_is(key, key_length, "off") && major == CBOR_UINT) off = value;
        else if (text_is(key, key_length, "len") && major == CBOR_UINT) len = value;
        else if (text_is(key, key_length, "image") && major == CBOR_UINT) image = value;
        else if (text_is(key, key_length, "data") && major == CBOR_BYTES) data_length = value, data = cbor_take(r, value);
        else if (text_is(key, key_length, "sha") && major == CBOR_BYTES) {
            sha = cbor_take(r, value);
            if (value != 32) sha = 0, r->error = 1;   /* only a full SHA-256 identifies an upload */
        } else {
            *r = at;             /* another field: skip it whole */
            cbor_skip(r);
        }
    }
    if (r->error || off == UINT64_MAX || !data) {
        send_mgmt_error(request, MGMT_ERR_EINVAL);
        return;
    }
    if (image != 0) {
        send_image_error(request, IMG_ERR_INVALID_SLOT);
        return;
    }
    if (off == 0) {
        if (len == UINT64_MAX || len == 0 || len > MAX_BUNDLE_BYTES) {
            send_image_error(request, IMG_ERR_INVALID_LENGTH);
            return;
        }
        /* A client repeats off 0 after an answer of 0: the stream just begun goes on. */
        int same = session.open && session.total == len && ap_stream_next_offset(&stream) == 0
                   && session.has_sha == (sha != 0) && (!sha || memcmp(session.sha, sha, 32) == 0);
        if (!same) {
            upload_ticks = 0;
            upload_requests = 1;
            stack_repaint();
            int32_t rc = begin_session(record.in_progress ? AP_STREAM_RESUME : AP_STREAM_APPLY, (uint32_t)len, sha);
            if (rc != AP_OK) {
                refuse(request, rc, 0);
                return;
            }
        }
    }
    if (!session.open) {
        send_mgmt_error(request, MGMT_ERR_EBADSTATE);   /* an upload starts at offset 0 */
        return;
    }
    uint32_t answer = ap_stream_next_offset(&stream);
    if (off > session.total || data_length > session.total - off) {
        send_image_error(request, IMG_ERR_DATA_OVERRUN);
        return;
    }
    if (off <= answer) {   /* bytes before the wanted offset are skipped by the loader */
        int32_t rc = ap_stream_feed(&stream, data, (uint32_t)data_length, (uint32_t)off);
        if (rc != AP_OK) {
            refuse(request, rc, (uint32_t)off);
            return;
        }
        answer = ap_stream_next_offset(&stream);
        if (ap_stream_is_complete(&stream)) {
            rc = complete_session(&answer);
            if (rc != AP_OK) {
                refuse(request, rc, (uint32_t)off);
                return;
            }
        } else if (answer >= session.total) {
            refuse(request, AP_E_STREAM, (uint32_t)off);   /* the bundle ended short of what its front declares */
            return;
        }
    }
    /* else: a chunk past the wanted offset; the answer sends the client back. */
    cbor_writer w = body();
    cbor_put_head(&w, CBOR_MAP, 1);
    cbor_put_text(&w, "off");
    cbor_put_int(&w, answer);
    send_response(request, &w);
}

static void image_state(const uint8_t *request) {
    uint8_t digest[32];
    model_sha256(digest);
    cbor_writer w = body();
    cbor_put_head(&w, CBOR_MAP, 1);
    cbor_put_text(&w, "images");
    cbor_put_head(&w, CBOR_ARRAY, 1);
    cbor_put_head(&w, CBOR_MAP, 6);
    cbor_put_text(&w, "slot");
    cbor_put_int(&w, 0);
    cbor_put_text(&w, "version");
    cbor_put_text(&w, "0.0.0");
    cbor_put_text(&w, "hash");
    cbor_put_bytes(&w, digest, 32);
    cbor_put_text(&w, "bootable");
    cbor_put_bool(&w, 1);
    cbor_put_text(&w, "confirmed");
    cbor_put_bool(&w, !record.in_progress);
    cbor_put_text(&w, "active");
    cbor_put_bool(&w, 1);
    send_response(request, &w);
}

static void parameters(const uint8_t *request) {
    cbor_writer w = body();
    cbor_put_head(&w, CBOR_MAP, 2);
    cbor_put_text(&w, "buf_size");
    cbor_put_int(&w, SMP_FRAME_MAX);
    cbor_put_text(&w, "buf_count");
    cbor_put_int(&w, 1);
    send_response(request, &w);
}

static void handle(const uint8_t *packet, uint32_t length) {
    if (length < 8) return;
    uint8_t op = packet[0] & 7;
    uint32_t body_length = (uint32_t)packet[2] << 8 | packet[3];
    uint32_t group = (uint32_t)packet[4] << 8 | packet[5];
    uint8_t command = packet[7];
    if (body_length != length - 8 || (op != OP_READ && op != OP_WRITE)) {
        if (op == OP_READ || op == OP_WRITE) send_mgmt_error(packet, MGMT_ERR_EINVAL);
        return;   /* responses and unknown ops are not answered */
    }
    cbor_reader r = {packet + 8, packet + length, 0};
    if (group == GROUP_IMAGE && command == IMAGE_UPLOAD && op == OP_WRITE) {
        upload_requests++;
        upload(packet, &r);
    }
    else if (group == GROUP_IMAGE && command == IMAGE_STATE && op == OP_READ) image_state(packet);
    else if (group == GROUP_OS && command == OS_PARAMETERS && op == OP_READ) parameters(packet);
    else if (group == GROUP_OS && command == OS_RESET && op == OP_WRITE) {
        cbor_writer w = body();
        cbor_put_head(&w, CBOR_MAP, 0);
        send_response(packet, &w);
        out("smp: reset requested: the run ends\n");
        board_exit(EXIT_OK);
    } else send_mgmt_error(packet, MGMT_ERR_ENOTSUP);
}

int main(void) {
    timer_calibrate(&calib_instructions, &calib_ticks);
    uart_init();
    boot_flash();
    model_layout_init(&flash_sim, &flash, &layout, unit_buffer, persistent_erase, persistent_program);
    ed25519 = (ap_verifier){0, 0, ed25519_public_key};
    smp_receiver_reset(&receiver);
    log_model();
    if (record.in_progress) out("smp: an apply was interrupted: the next upload of that bundle resumes it\n");
    out("smp: listening on UART 0 (SMP serial, buf_size 512)\n");
    out_flush();
    for (;;) {
        uint8_t byte = uart_get();
        uint32_t start = timer_ticks();
        uint32_t length = smp_receive(&receiver, byte);
        if (length) {
            handle(receiver.frame + 2, length);
            out_flush();
        }
        upload_ticks += timer_ticks() - start;
        if (report_pending) {
            report_pending = 0;
            report_upload();
        }
    }
}
