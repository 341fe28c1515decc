#!/usr/bin/env python3
"""Accuracy check of a LoRA bundle under TFLM and LiteRT.

Builds FIXTURE/lora-adapter into a bundle with `adapterpack build`, applies it
with `adapterpack apply` (the device loader), runs the patched model with
TensorFlow Lite Micro's interpreter (the device's runtime) and with LiteRT on
FIXTURE/eval.npz, and compares each with the same interpreter's accuracy of
FIXTURE/lora.tflite (the float-merged reference): the shifted-domain accuracy
must be within 1 point of it or better. Then `adapterpack unapply` must give
back base.tflite byte for byte.

usage: lora_accuracy.py ADAPTERPACK_BINARY [--corpus DIR] [--key PEM] [--max-bundle-bytes N] [--json OUT]
Exit status 0 when every check passes; prints one line per check and a
closing "N passed, N failed" line.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from judges import JUDGES, report, run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("adapterpack")
    parser.add_argument("--corpus", default=os.path.join(ROOT, "Examples", "digits"),
                        help="fixture: base.tflite, lora.tflite (reference), lora-adapter/, eval.npz")
    parser.add_argument("--key", default=os.path.join(ROOT, "Keys", "dev-ed25519.pem"))
    parser.add_argument("--max-bundle-bytes", type=int, help="also check the bundle's size")
    parser.add_argument("--json", help="write the measurements here")
    args = parser.parse_args()
    corpus = args.corpus
    public = args.key.replace(".pem", ".pub.pem")
    data = np.load(os.path.join(corpus, "eval.npz"))
    base_path = os.path.join(corpus, "base.tflite")
    base = open(base_path, "rb").read()
    reference = open(os.path.join(corpus, "lora.tflite"), "rb").read()
    adapter = os.path.join(corpus, "lora-adapter")

    with tempfile.TemporaryDirectory() as tmp:
        bundle, patched, restored = (os.path.join(tmp, n) for n in ("lora.apb", "patched.tflite", "restored.tflite"))
        restore_bundle = os.path.join(tmp, "lora.restore.apb")
        build_log = run([args.adapterpack, "build", "--base", base_path, "--adapter", adapter,
                         "--map", os.path.join(adapter, "tensor_map.json"), "--key", args.key, "-o", bundle])
        run([args.adapterpack, "apply", bundle, "--base", base_path, "--key", public, "-o", patched])
        if os.path.exists(restore_bundle):
            # One-way bundle: the restore bundle brings the base back; unapply must refuse and name it.
            refused = subprocess.run([args.adapterpack, "unapply", bundle, "--target", patched, "--key", public,
                                      "-o", restored], capture_output=True, text=True)
            unapply_refused = refused.returncode != 0 and "restore bundle" in refused.stderr and not os.path.exists(restored)
            run([args.adapterpack, "apply", restore_bundle, "--base", patched, "--key", public, "-o", restored])
        else:
            unapply_refused = None
            run([args.adapterpack, "unapply", bundle, "--target", patched, "--key", public, "-o", restored])
        model = open(patched, "rb").read()
        measured = {"bundle_bytes": os.path.getsize(bundle), "base_bytes": len(base), "patched_bytes": len(model),
                    "restore_bundle_bytes": os.path.getsize(restore_bundle) if os.path.exists(restore_bundle) else None}
        for judge, accuracy in JUDGES.items():
            for domain in ("shifted", "original"):
                x, y = data["x_" + domain], data["y_" + domain]
                measured[f"{judge}_{domain}"] = accuracy(model, x, y)
                measured[f"{judge}_reference_{domain}"] = accuracy(reference, x, y)
            measured[f"{judge}_base_shifted"] = accuracy(base, data["x_shifted"], data["y_shifted"])
        restored_equal = open(restored, "rb").read() == base

    print(build_log.strip())
    print(json.dumps(measured, sort_keys=True))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(measured, f, sort_keys=True, indent=2)

    checks = []
    for judge in JUDGES:
        got, ref, low = (measured[f"{judge}_shifted"], measured[f"{judge}_reference_shifted"],
                         measured[f"{judge}_base_shifted"])
        checks.append(("%s: shifted-domain accuracy %.4f within 1 point of lora.tflite's %.4f or better" % (judge, got, ref),
                       got >= ref - 0.01 - 1e-9))
        checks.append(("%s: LoRA helps: shifted %.4f above the base model's %.4f" % (judge, got, low), got > low))
    if args.max_bundle_bytes is not None:
        checks.append(("bundle %d bytes ≤ %d" % (measured["bundle_bytes"], args.max_bundle_bytes),
                       measured["bundle_bytes"] <= args.max_bundle_bytes))
    if unapply_refused is not None:
        checks.append(("unapply of the one-way bundle refused, naming the restore bundle", unapply_refused))
        checks.append(("the restore bundle gives base.tflite back byte for byte", restored_equal))
    else:
        checks.append(("unapply restores base.tflite byte for byte", restored_equal))
    return report("lora_accuracy", checks)


if __name__ == "__main__":
    sys.exit(main())
