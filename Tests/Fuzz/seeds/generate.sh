#!/usr/bin/env bash
# Regenerates the multi-block seed bundles of the bundle-load and bundle-verify
# fuzz targets (Tests/Fuzz/run.sh also seeds them with Spec/vectors/*.apb, which
# are one block each): small blocks, so the chain of trailers is long, and the
# operations the vectors lack (factors, loraWeights/loraBias with layout and
# undo moves, lowRankResidual, coded, deflate). Signed with the development
# key, so the real verifier accepts them. Run from the repository root after a
# change to the byte layout (ADAPTERPACK=path/to/adapterpack to use a built binary).
set -euo pipefail
bin=${ADAPTERPACK:-}
if [ -z "$bin" ]; then swift build --product adapterpack >/dev/null; bin=$(swift build --show-bin-path)/adapterpack; fi
out=Tests/Fuzz/seeds/bundles
digits=Examples/digits
key=Keys/dev-ed25519.pem
"$bin" diff --base $digits/base.tflite --target $digits/head-ft.tflite --key $key --sequence 1 --block-size 256 -o $out/digits-head-ft-256.apb
"$bin" diff --base $digits/base.tflite --target $digits/lora.tflite --key $key --sequence 1 --block-size 512 -o $out/digits-lora-lowrank-512.apb
# --reversible: layout and undo moves, and scales as XOR (a one-way bundle's loraScales would refuse the check's made-up base).
"$bin" build --base $digits/base.tflite --adapter $digits/lora-adapter --key $key --sequence 1 --block-size 512 --reversible -o $out/digits-lora-adapter-512.apb

# TUF metadata for the tuf-metadata target (Tests/Fuzz/seeds/tuf/): a
# repository with 4 hashed bins and one bundle (cohort beta), written by
# `adapterpack repo`; root, timestamp, snapshot, the delegating targets and a bin:
#   for r in root targets snapshot timestamp; do adapterpack keygen -o $r.pem; done
#   adapterpack repo init repo --root-key root.pem --bins 4 --targets-key targets.pem ...
#   adapterpack repo publish h.apb --repo repo --cohort beta --device-class m4 ...
#   cp repo/metadata/{1.root,timestamp,2.snapshot,1.targets,2.bins-c-f}.json seeds/tuf/
