/* Files on the host through ARM semihosting (SYS_OPEN/READ/WRITE/SEEK/FLEN),
 * relative to QEMU's working directory. The SMP firmware keeps its simulated
 * flash in one, so that its contents survive a restart of QEMU (a reset or a
 * power cut of the board). */
#ifndef HOSTFILE_H
#define HOSTFILE_H

#include <stdint.h>

enum { HOSTFILE_READ_BINARY = 1, HOSTFILE_UPDATE_BINARY = 3, HOSTFILE_CREATE_BINARY = 7 };  /* "rb", "r+b", "w+b" */

int32_t hostfile_open(const char *path, uint32_t mode);            /* handle, or -1 */
int32_t hostfile_read(int32_t handle, uint32_t at, uint8_t *buffer, uint32_t count);         /* 0: all read */
int32_t hostfile_write(int32_t handle, uint32_t at, const uint8_t *bytes, uint32_t count);   /* 0: all written */
int32_t hostfile_length(int32_t handle);                          /* bytes, or -1 */

#endif
