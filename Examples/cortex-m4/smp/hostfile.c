#include "hostfile.h"
#include "../firmware.h"

enum { SYS_OPEN = 0x01, SYS_WRITE = 0x05, SYS_READ = 0x06, SYS_SEEK = 0x0A, SYS_FLEN = 0x0C };

int32_t hostfile_open(const char *path, uint32_t mode) {
    uint32_t length = 0;
    while (path[length]) length++;
    uint32_t block[3] = {(uint32_t)(uintptr_t)path, mode, length};
    return (int32_t)semihost_call(SYS_OPEN, block);
}

static int seek(int32_t handle, uint32_t at) {
    uint32_t block[2] = {(uint32_t)handle, at};
    return semihost_call(SYS_SEEK, block) == 0;
}

/* SYS_READ and SYS_WRITE return the number of bytes NOT transferred. */
int32_t hostfile_read(int32_t handle, uint32_t at, uint8_t *buffer, uint32_t count) {
    if (!seek(handle, at)) return -1;
    uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buffer, count};
    return semihost_call(SYS_READ, block) == 0 ? 0 : -1;
}

int32_t hostfile_write(int32_t handle, uint32_t at, const uint8_t *bytes, uint32_t count) {
    if (!seek(handle, at)) return -1;
    uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)bytes, count};
    return semihost_call(SYS_WRITE, block) == 0 ? 0 : -1;
}

int32_t hostfile_length(int32_t handle) {
    uint32_t block[1] = {(uint32_t)handle};
    return (int32_t)semihost_call(SYS_FLEN, block);
}
