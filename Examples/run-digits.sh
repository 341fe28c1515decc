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
# The headline: the LoRA adapter itself (2,472 factor values) as a bundle,
# expanded on the device in fixed point.
"$bin" build --base Examples/digits/base.tflite --adapter Examples/digits/lora-adapter \
    --map Examples/digits/lora-adapter/tensor_map.json --key "$key" --name digits-lora-adapter -o "$out/lora-adapter.apb"
"$bin" apply "$out/lora-adapter.apb" --base Examples/digits/base.tflite --key Keys/dev-ed25519.pub.pem \
    -o "$out/lora-adapter.tflite"
"$bin" unapply "$out/lora-adapter.apb" --target "$out/lora-adapter.tflite" --key Keys/dev-ed25519.pub.pem \
    -o "$out/base-again.tflite"
cmp "$out/base-again.tflite" Examples/digits/base.tflite
echo "digits/lora-adapter: $(wc -c < "$out/lora-adapter.apb") byte bundle; unapply restores base.tflite exactly"
"$bin" inspect "$out/lora-adapter.apb"
# What the updates cost over the air, per link and for a fleet.
"$bin" report "$out"/full-ft.apb "$out"/head-ft.apb "$out"/lora.apb "$out"/lora-adapter.apb \
    --base Examples/digits/base.tflite --key Keys/dev-ed25519.pub.pem --fleet 10000 --html "$out/report.html"
echo "report: $out/report.html"
