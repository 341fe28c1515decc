"""Uploads adapterpack bundles into the SMP firmware (smp_main.c) on QEMU's
Cortex-M4 with smpclient, the MCUmgr client from PyPI, over the board's UART
(a pty): a good bundle, a corrupted one, an upload cut short by killing QEMU
and resumed after a restart, and one refused mid-stream then finished.

    python3 smp_upload_test.py --qemu qemu-system-arm --elf build/smp/prog.elf \
        --workdir build/smp --bundle build/full/full-ft.apb \
        --base-sha HEX --target-sha HEX

Run by Examples/cortex-m4/run.sh. Exits 0 only if every check passed.
"""

import argparse
import asyncio
import hashlib
import os
import re
import signal
import subprocess
import sys
import time

from smpclient import SMPClient
from smpclient.exceptions import SMPUploadError
from smpclient.generics import error, success
from smpclient.requests.image_management import ImageStatesRead
from smpclient.requests.os_management import ResetWrite
from smpclient.transport.serial import SMPSerialTransport

FLASH_FILE = "smp-flash.bin"
failures = 0


def check(ok, what):
    global failures
    print(("  ok    " if ok else "  FAIL  ") + what, flush=True)
    if not ok:
        failures += 1


class Board:
    """One run of QEMU with the SMP firmware; its UART is a pty."""

    def __init__(self, args, label):
        self.args = args
        self.log_path = os.path.join(args.workdir, f"qemu-{label}.log")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            # -icount shift=0: 1 ns of virtual time per instruction, so the
            # firmware's timer counts instructions (its METRIC lines).
            [args.qemu, "-M", "mps2-an386", "-nographic", "-monitor", "none", "-serial", "pty", "-icount", "shift=0",
             "-semihosting-config", "enable=on,target=native", "-kernel", os.path.abspath(args.elf)],
            cwd=args.workdir, stdout=self.log, stderr=subprocess.STDOUT)
        self.pty = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = self.text()
            match = re.search(r"char device redirected to (\S+)", text)
            if match:
                self.pty = match.group(1)
            if self.pty and "smp: listening" in text:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"the firmware did not start; see {self.log_path}:\n{self.text()}")

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def kill(self):
        """A power cut: the process dies wherever it is."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.log.close()

    def wait_exit(self):
        code = self.process.wait(timeout=30)
        self.log.close()
        return code


def client_for(board):
    return SMPClient(SMPSerialTransport(), board.pty, timeout_s=20.0)


async def upload(client, image, stop_after=None):
    """Uploads `image`; returns (the offsets the device answered, error or None).
    With stop_after, returns once the device has taken that many bytes."""
    offsets = []
    try:
        async for offset in client.upload(image, first_timeout_s=60.0, subsequent_timeout_s=60.0):
            offsets.append(offset)
            if stop_after is not None and offset >= stop_after:
                return offsets, None
    except SMPUploadError as e:
        return offsets, e
    return offsets, None


def refusal(failure):
    """The error code of a refused upload, e.g. IMG_MGMT_ERR.INVALID_HASH."""
    match = re.search(r"rc=<([A-Z_.]+): (\d+)>", str(failure))
    return f"{match.group(1)} ({match.group(2)})" if match else str(failure)


def bytes_sent(offsets, image_length, chunk):
    """Bundle bytes the client sent: each request carries the bytes from the
    previous answer up to at most one chunk (the first starts at 0)."""
    total, previous = 0, 0
    for offset in offsets:
        total += min(chunk, image_length - previous)
        previous = offset
    return total


async def model_hash(client):
    response = await client.request(ImageStatesRead())
    if not success(response):
        raise RuntimeError(f"image state read failed: {response}")
    return bytes(response.images[0].hash).hex()


async def reset(client):
    try:
        await client.request(ResetWrite(), timeout_s=5.0)
    except Exception:
        pass  # the board may end the run before the answer is read


def fresh(args):
    path = os.path.join(args.workdir, FLASH_FILE)
    if os.path.exists(path):
        os.remove(path)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qemu", required=True)
    parser.add_argument("--elf", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--base-sha", required=True)
    parser.add_argument("--target-sha", required=True)
    parser.add_argument("--cli", help="adapterpack binary: also upload with `adapterpack send`")
    parser.add_argument("--second-bundle", help="bundle for the `adapterpack send` check")
    parser.add_argument("--second-sha", help="its target's SHA-256")
    args = parser.parse_args()
    image = open(args.bundle, "rb").read()
    first_block_end = 176 + int.from_bytes(image[28:30], "little")
    name = os.path.basename(args.bundle)

    # 1. A corrupted bundle (one bit of the signature), then the good one.
    print(f"== {name} ({len(image)} B) over SMP serial (smpclient) into the QEMU Cortex-M4 ==", flush=True)
    fresh(args)
    board = Board(args, "upload")
    async with client_for(board) as client:
        check(await model_hash(client) == args.base_sha, "image state before: the base model's SHA-256")
        bad = bytearray(image)
        bad[112 + 9] ^= 0x04
        offsets, failure = await upload(client, bytes(bad))
        check(failure is not None, f"a bundle with one signature bit flipped is refused: {refusal(failure)}")
        check(await model_hash(client) == args.base_sha, "... and the model is unchanged")
        started = time.monotonic()
        offsets, failure = await upload(client, image)
        seconds = time.monotonic() - started
        # The most bundle bytes one request carried (the first carries fewer: len and sha).
        chunk = max(b - a for a, b in zip([0] + offsets, offsets)) if offsets else 0
        check(failure is None and offsets[-1] == len(image),
              f"the bundle uploads: {len(offsets)} requests, {seconds:.1f} s, answered offsets end at {offsets[-1] if offsets else None}")
        check(await model_hash(client) == args.target_sha, "image state after: the target model's SHA-256")
        await reset(client)
    check(board.wait_exit() == 0, "reset: the firmware ends its run with status 0")

    # 2. An upload cut short by killing QEMU (the board loses power with its
    # flash kept), then the same upload after the restart: the device answers
    # with the offset its journal names.
    fresh(args)
    board = Board(args, "cut")
    cut_at = len(image) // 2
    async with client_for(board) as client:
        chunk_offsets, failure = await upload(client, image, stop_after=cut_at)
    board.kill()
    check(failure is None and chunk_offsets and chunk_offsets[-1] >= cut_at,
          f"power cut: QEMU killed after the device took {chunk_offsets[-1] if chunk_offsets else 0} of {len(image)} bytes")
    board = Board(args, "resumed")
    check("apply was interrupted" in board.text(), "after the restart the firmware reports the interrupted apply")
    async with client_for(board) as client:
        offsets, failure = await upload(client, image)
        check(failure is None and offsets and offsets[-1] == len(image), "the upload restarted from offset 0 completes")
        jumps = [(a, b) for a, b in zip(offsets, offsets[1:]) if b - a > chunk]
        sent = bytes_sent(offsets, len(image), chunk)
        # The chunk that completes block 0 (which re-establishes trust) is answered
        # with the offset of the block the journal names.
        check(bool(jumps) and jumps[0][0] < first_block_end < jumps[0][1] and sent < len(image),
              f"... block 0 (ends at {first_block_end}) then a jump: answered {jumps[0][0] if jumps else '-'} -> "
              f"{jumps[0][1] if jumps else '-'}; {sent} of {len(image)} bundle bytes sent again")
        check(await model_hash(client) == args.target_sha, "... and the model is the target")
        await reset(client)
    check(board.wait_exit() == 0, "reset: status 0")

    # 3. A block corrupted in transit: refused when it is complete, the blocks
    # before it applied; the good bundle then finishes the apply.
    fresh(args)
    board = Board(args, "block")
    async with client_for(board) as client:
        bad = bytearray(image)
        bad[len(image) // 2] ^= 0x20
        offsets, failure = await upload(client, bytes(bad))
        check(failure is not None, f"a bundle with one byte of a middle block flipped is refused: {refusal(failure)}")
        check("block refused" in board.text(), "... by the loader: AP_E_BLOCK (\"block refused\" in the log)")
        state = await model_hash(client)
        check(state not in (args.base_sha, args.target_sha), "... after the blocks before it were applied")
        offsets, failure = await upload(client, image)
        check(failure is None and offsets and offsets[-1] == len(image), "the good bundle then uploads")
        check(await model_hash(client) == args.target_sha, "... and the model is the target")
        await reset(client)
    check(board.wait_exit() == 0, "reset: status 0")

    # 4. Our own SMP client: `adapterpack send` of another bundle, then a corrupted copy.
    if args.cli and args.second_bundle:
        fresh(args)
        board = Board(args, "send")
        done = subprocess.run([args.cli, "send", args.second_bundle, "--serial", board.pty, "--expect-hash", args.second_sha],
                              capture_output=True, text=True, timeout=300)
        check(done.returncode == 0, f"adapterpack send {os.path.basename(args.second_bundle)}: {done.stdout.strip() or done.stderr.strip()}")
        bad = bytearray(open(args.second_bundle, "rb").read())
        bad[112 + 3] ^= 0x01
        corrupted = os.path.join(args.workdir, "corrupted.apb")
        open(corrupted, "wb").write(bytes(bad))
        done = subprocess.run([args.cli, "send", corrupted, "--serial", board.pty], capture_output=True, text=True, timeout=300)
        check(done.returncode != 0 and "invalid hash" in done.stderr,
              f"... a corrupted copy is refused: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
        board.kill()

    print(f"smp: {'OK' if failures == 0 else f'{failures} check(s) FAILED'}", flush=True)
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
