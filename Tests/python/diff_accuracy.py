#!/usr/bin/env python3
"""Patched-model check of `adapterpack diff` under TFLM and LiteRT.

For each fine-tuned variant given, makes a bundle with `adapterpack diff`,
applies it with `adapterpack apply` (the device loader) and runs the patched
model in TensorFlow Lite Micro's interpreter and in LiteRT on eval.npz: it
must be the variant's bytes and score the variant's accuracy in both, on
both domains, and the fine-tune must beat the base on the shifted domain.

usage: diff_accuracy.py ADAPTERPACK_BINARY [--corpus DIR] [--key PEM] VARIANT...
Exit status 0 when every check passes.
"""
import argparse
import os
import sys
import tempfile

import numpy as np

from judges import JUDGES, report, run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("adapterpack")
    parser.add_argument("variants", nargs="+", help="model names in the fixture, e.g. head-ft full-ft")
    parser.add_argument("--corpus", default=os.path.join(ROOT, "Examples", "digits"))
    parser.add_argument("--key", default=os.path.join(ROOT, "Keys", "dev-ed25519.pem"))
    args = parser.parse_args()
    data = np.load(os.path.join(args.corpus, "eval.npz"))
    base_path = os.path.join(args.corpus, "base.tflite")
    base = open(base_path, "rb").read()
    checks = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants:
            target_path = os.path.join(args.corpus, variant + ".tflite")
            bundle, patched = os.path.join(tmp, variant + ".apb"), os.path.join(tmp, variant + ".tflite")
            run([args.adapterpack, "diff", "--base", base_path, "--target", target_path, "--key", args.key, "-o", bundle])
            run([args.adapterpack, "apply", bundle, "--base", base_path, "--key", args.key.replace(".pem", ".pub.pem"),
                 "-o", patched])
            model, target = open(patched, "rb").read(), open(target_path, "rb").read()
            checks.append((f"{variant}: patched model is the variant byte for byte", model == target))
            for judge, accuracy in JUDGES.items():
                for domain in ("shifted", "original"):
                    x, y = data["x_" + domain], data["y_" + domain]
                    got, want = accuracy(model, x, y), accuracy(target, x, y)
                    checks.append((f"{variant}: {judge} {domain}-domain accuracy {got:.4f} = the variant's {want:.4f}",
                                   got == want))
                got, low = accuracy(model, data["x_shifted"], data["y_shifted"]), accuracy(base, data["x_shifted"], data["y_shifted"])
                checks.append((f"{variant}: {judge} shifted {got:.4f} above the base's {low:.4f}", got > low))
    return report("diff_accuracy", checks)


if __name__ == "__main__":
    sys.exit(main())
