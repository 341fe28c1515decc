#!/usr/bin/env python3
"""LiteRT accuracy check of a LoRA bundle (issue 3).

Builds digits/lora-adapter into a bundle with `adapterpack build`, applies it
with `adapterpack apply` (the device loader), runs the patched model with the
LiteRT interpreter on eval.npz and compares with eval.json: the shifted-domain
accuracy must be within 1 point of lora.tflite's or better. Then `adapterpack
unapply` must give back base.tflite byte for byte.

usage: lora_accuracy.py ADAPTERPACK_BINARY [--corpus DIR] [--key PEM] [--json OUT]
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
from ai_edge_litert.interpreter import Interpreter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def accuracy(model_bytes, x, y):
    interpreter = Interpreter(model_content=bytes(model_bytes))
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    correct = 0
    for k in range(len(x)):
        interpreter.set_tensor(inp["index"], x[k:k + 1].reshape(inp["shape"]).astype(inp["dtype"]))
        interpreter.invoke()
        correct += int(np.argmax(interpreter.get_tensor(out["index"])[0]) == int(y[k]))
    return correct / len(x)


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"command failed ({done.returncode}): {' '.join(cmd)}")
    return done.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("adapterpack")
    parser.add_argument("--corpus", default=os.path.join(ROOT, "Examples", "digits"))
    parser.add_argument("--key", default=os.path.join(ROOT, "Keys", "dev-ed25519.pem"))
    parser.add_argument("--json", help="write the measurements here")
    args = parser.parse_args()
    corpus = args.corpus
    public = args.key.replace(".pem", ".pub.pem")
    expected = json.load(open(os.path.join(corpus, "eval.json")))
    data = np.load(os.path.join(corpus, "eval.npz"))
    base_path = os.path.join(corpus, "base.tflite")
    base = open(base_path, "rb").read()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        bundle, patched, restored = (os.path.join(tmp, n) for n in ("lora.apb", "patched.tflite", "restored.tflite"))
        build_log = run([args.adapterpack, "build", "--base", base_path, "--adapter", os.path.join(corpus, "lora-adapter"),
                         "--map", os.path.join(corpus, "lora-adapter", "tensor_map.json"), "--key", args.key, "-o", bundle])
        run([args.adapterpack, "apply", bundle, "--base", base_path, "--key", public, "-o", patched])
        run([args.adapterpack, "unapply", bundle, "--target", patched, "--key", public, "-o", restored])
        model = open(patched, "rb").read()
        measured = {
            "bundle_bytes": os.path.getsize(bundle),
            "acc_shifted_domain": accuracy(model, data["x_shifted"], data["y_shifted"]),
            "acc_original_domain": accuracy(model, data["x_original"], data["y_original"]),
            "reference_shifted": expected["lora"]["acc_shifted_domain"],
            "reference_original": expected["lora"]["acc_original_domain"],
            "base_shifted": expected["base"]["acc_shifted_domain"],
        }
        restored_equal = open(restored, "rb").read() == base

    print(build_log.strip())
    print(json.dumps(measured, sort_keys=True))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(measured, f, sort_keys=True, indent=2)

    checks = [
        ("shifted-domain accuracy %.4f within 1 point of lora.tflite's %.4f or better"
         % (measured["acc_shifted_domain"], measured["reference_shifted"]),
         measured["acc_shifted_domain"] >= measured["reference_shifted"] - 0.01 - 1e-9),
        ("LoRA helps: shifted %.4f above the base model's %.4f" % (measured["acc_shifted_domain"], measured["base_shifted"]),
         measured["acc_shifted_domain"] > measured["base_shifted"]),
        ("bundle %d bytes ≤ 4,732" % measured["bundle_bytes"], measured["bundle_bytes"] <= 4732),
        ("unapply restores base.tflite byte for byte", restored_equal),
    ]
    failed = 0
    for name, ok in checks:
        print(("PASS " if ok else "FAIL ") + name)
        failed += 0 if ok else 1
    print(f"lora_accuracy checks: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
