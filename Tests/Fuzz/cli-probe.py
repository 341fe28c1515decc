"""Black-box probe of the adapterpack binary with hostile inputs, as an attacker
would run it: mutated bundles (signed and unsigned), TFLite models, PEFT
adapters, TUF metadata and option values, through every command that reads
them. A finding is a crash (signal), a Swift trap or stack trace, a hang
(past --timeout), an exit code other than 0, 1 or 64, or an output file left
behind by a failed command.

    python3 Tests/Fuzz/cli-probe.py [--binary .build/debug/adapterpack] [--cases 400] [--seed 1]

Prints one line per finding and a summary; exits 1 if anything was found.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIGITS = os.path.join(ROOT, "Examples", "digits")
KEY = os.path.join(ROOT, "Keys", "dev-ed25519.pem")
PUB = os.path.join(ROOT, "Keys", "dev-ed25519.pub.pem")


def mutate(data, rng):
    data = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4, 16])):
        kind = rng.random()
        if not data:
            data.append(rng.randrange(256))
        elif kind < 0.5:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind < 0.65:
            at = rng.randrange(len(data))
            for k in range(min(4, len(data) - at)):
                data[at + k] = rng.choice([0x00, 0xFF, 0x7F, 0x80])
        elif kind < 0.8:
            del data[rng.randrange(len(data)):]
        elif kind < 0.9:
            at = rng.randrange(len(data))
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        else:
            at = rng.randrange(len(data))
            data[at:at + 4] = rng.choice([b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"\xf0\xff\xff\x7f"])
    return bytes(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "adapterpack"))
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="cli-probe-")
    binary = args.binary

    def run(argv, outputs=()):
        for path in outputs:
            if os.path.exists(os.path.join(work, path)):
                os.remove(os.path.join(work, path))
        try:
            done = subprocess.run([binary] + argv, cwd=work, capture_output=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return "hang"
        text = done.stderr.decode(errors="replace") + done.stdout.decode(errors="replace")
        if done.returncode < 0:
            return f"signal {-done.returncode}"
        if "Fatal error" in text or "Stack dump" in text or "Backtracing" in text or "Program crashed" in text:
            return "trap: " + next((l for l in text.splitlines() if "Fatal error" in l or "crashed" in l), text[:200])
        if done.returncode not in (0, 1, 64):
            return f"exit {done.returncode}"
        if done.returncode != 0:
            for path in outputs:
                if os.path.exists(os.path.join(work, path)):
                    return f"left {path} behind after exit {done.returncode}"
        return None

    # Inputs made once with the real tool.
    base = os.path.join(DIGITS, "base.tflite")
    subprocess.run([binary, "diff", "--base", base, "--target", os.path.join(DIGITS, "full-ft.tflite"), "--key", KEY,
                    "-o", os.path.join(work, "good.apb")], check=True, capture_output=True)
    good = open(os.path.join(work, "good.apb"), "rb").read()
    model = open(base, "rb").read()
    adapter_dir = os.path.join(DIGITS, "lora-adapter")
    config = open(os.path.join(adapter_dir, "adapter_config.json"), "rb").read()
    weights = open(os.path.join(adapter_dir, "adapter_model.safetensors"), "rb").read()

    findings, count = [], 0
    for case in range(args.cases):
        choice = case % 6
        if choice in (0, 1):
            bundle = mutate(good, rng)
            open(os.path.join(work, "b.apb"), "wb").write(bundle)
            argvs = [(["verify", "b.apb", "--trusted-key", PUB, "--base", base], ()),
                     (["apply", "b.apb", "--base", base, "--key", PUB, "-o", "out.tflite"], ("out.tflite",)),
                     (["inspect", "b.apb"], ()),
                     (["report", "b.apb", "--trusted-key", PUB, "--json", "r.json"], ("r.json",))]
            if choice == 1:
                # Signed hostile content: the mutated bytes re-signed by the key the device trusts.
                argvs = [(["sign", "b.apb", "--signing-key", KEY, "-o", "s.apb"], ("s.apb",))] + [
                    ([a.replace("b.apb", "s.apb") for a in argv], outs) for argv, outs in argvs]
        elif choice == 2:
            open(os.path.join(work, "m.tflite"), "wb").write(mutate(model, rng))
            argvs = [(["diff", "--base", base, "--target", "m.tflite", "--key", KEY, "-o", "d.apb"], ("d.apb",)),
                     (["diff", "--base", "m.tflite", "--target", base, "--key", KEY, "-o", "d.apb"], ("d.apb",))]
        elif choice == 3:
            os.makedirs(os.path.join(work, "adapter"), exist_ok=True)
            open(os.path.join(work, "adapter", "adapter_config.json"), "wb").write(mutate(config, rng) if rng.random() < 0.5 else config)
            open(os.path.join(work, "adapter", "adapter_model.safetensors"), "wb").write(
                mutate(weights, rng) if rng.random() < 0.7 else weights)
            argvs = [(["build", "--base", base, "--adapter", "adapter", "--key", KEY, "-o", "l.apb"], ("l.apb",))]
        elif choice == 4:
            value = rng.choice(["0", "-1", "9223372036854775807", "18446744073709551616", "1e308", "nan", "inf", "", "x"])
            option = rng.choice(["--fleet", "--price-per-mb", "--bitrate", "--max-window", "--block-size", "--sequence",
                                 "--max-bytes", "--min-sequence"])
            argvs = [(["report", os.path.join(work, "good.apb"), "--trusted-key", PUB, option, value], ()),
                     (["diff", "--base", base, "--target", os.path.join(DIGITS, "head-ft.tflite"), "--key", KEY,
                       option, value, "-o", "o.apb"], ("o.apb",)),
                     (["verify", os.path.join(work, "good.apb"), "--trusted-key", PUB, option, value], ())]
        else:
            state = os.path.join(work, "tuf")
            shutil.rmtree(state, ignore_errors=True)
            os.makedirs(state)
            root = os.path.join(ROOT, "Tests", "Fuzz", "seeds", "tuf", rng.choice(os.listdir(os.path.join(ROOT, "Tests", "Fuzz", "seeds", "tuf"))))
            open(os.path.join(work, "root.json"), "wb").write(mutate(open(root, "rb").read(), rng))
            argvs = [(["tuf-client", "--metadata-dir", "tuf", "init", "root.json"], ()),
                     (["tuf-client", "--metadata-dir", "tuf", "--metadata-url", "file://" + work + "/none", "refresh"], ())]
        for argv, outputs in argvs:
            count += 1
            problem = run(argv, outputs)
            if problem:
                keep = os.path.join(work, f"finding-{len(findings)}")
                os.makedirs(keep, exist_ok=True)
                for name in ("b.apb", "s.apb", "m.tflite", "root.json"):
                    if os.path.exists(os.path.join(work, name)):
                        shutil.copy(os.path.join(work, name), keep)
                findings.append((problem, argv))
                print(f"FINDING {problem}: adapterpack {' '.join(argv)}  (inputs in {keep})", flush=True)
    print(f"cli-probe: {count} runs, {len(findings)} finding(s); work directory {work}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
