#!/usr/bin/env bash
# The main job on bundled example data: for each fine-tuned digits model, make a
# signed bundle against the base model, verify it, apply it with the device
# loader and check that the result is the fine-tuned model byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product adapterpack >/dev/null
bin=$(swift build --show-bin-path)/adapterpack
out=${OUT:-out}
mkdir -p "$out"
key=Keys/dev-ed25519.pem   # development key: see Keys/README.md
for variant in full-ft head-ft lora; do
    "$bin" diff --base Examples/digits/base.tflite --target "Examples/digits/$variant.tflite" \
        --key "$key" --name "digits-$variant" -o "$out/$variant.apb"
    "$bin" verify "$out/$variant.apb" --key Keys/dev-ed25519.pub.pem --base Examples/digits/base.tflite
    "$bin" apply "$out/$variant.apb" --base Examples/digits/base.tflite --key Keys/dev-ed25519.pub.pem \
        -o "$out/$variant.tflite"
    cmp "$out/$variant.tflite" "Examples/digits/$variant.tflite"
    echo "digits/$variant: $(wc -c < "$out/$variant.apb") byte bundle reproduces $variant.tflite exactly"
done
"$bin" inspect "$out/lora.apb"
