#!/usr/bin/env bash
# The main job on bundled example data: for each fine-tuned digits model, make a
# signed bundle against the base model, verify it, apply it with the device
# loader and check that the result is the fine-tuned model byte for byte; then
# the LoRA adapter as a bundle (apply and unapply), and what the updates cost
# over the air (the full report goes to files; a short table ends the run).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product adapterpack >/dev/null
bin=$(swift build --show-bin-path)/adapterpack
out=${OUT:-out}
mkdir -p "$out"
key=Keys/dev-ed25519.pem   # development key: see Keys/README.md
pub=Keys/dev-ed25519.pub.pem
base=Examples/digits/base.tflite
log="$out/run.log"         # every command's full output
: > "$log"
run() { "$@" >> "$log"; }
size() { wc -c < "$1" | tr -d ' '; }
rows=()
for variant in full-ft head-ft lora; do
    run "$bin" diff --base "$base" --target "Examples/digits/$variant.tflite" \
        --key "$key" --name "digits-$variant" -o "$out/$variant.apb"
    run "$bin" verify "$out/$variant.apb" --trusted-key "$pub" --base "$base"
    run "$bin" apply "$out/$variant.apb" --base "$base" --key "$pub" -o "$out/$variant.tflite"
    cmp "$out/$variant.tflite" "Examples/digits/$variant.tflite"
    echo "digits/$variant: $(size "$out/$variant.apb") byte bundle, verified; applied it reproduces $variant.tflite exactly"
    rows+=("$variant.apb|$(size "$out/$variant.apb")|diff base → $variant.tflite; $variant.tflite = its result (cmp OK)")
done
# The headline: the LoRA adapter itself (2,472 factor values) as a bundle,
# expanded on the device in fixed point.
run "$bin" build --base "$base" --adapter Examples/digits/lora-adapter \
    --map Examples/digits/lora-adapter/tensor_map.json --key "$key" --name digits-lora-adapter -o "$out/lora-adapter.apb"
run "$bin" apply "$out/lora-adapter.apb" --base "$base" --key "$pub" -o "$out/lora-adapter.tflite"
run "$bin" unapply "$out/lora-adapter.apb" --target "$out/lora-adapter.tflite" --key "$pub" -o "$out/base-again.tflite"
cmp "$out/base-again.tflite" "$base"
echo "digits/lora-adapter: $(size "$out/lora-adapter.apb") byte bundle; unapply restores base.tflite exactly"
rows+=("lora-adapter.apb|$(size "$out/lora-adapter.apb")|build from Examples/digits/lora-adapter; lora-adapter.tflite = applied, base-again.tflite = unapplied (cmp OK)")
"$bin" inspect "$out/lora-adapter.apb" --trusted-key "$pub" > "$out/lora-adapter.inspect.txt"
# What the updates cost over the air, per link and for a fleet.
"$bin" report "$out"/full-ft.apb "$out"/head-ft.apb "$out"/lora.apb "$out"/lora-adapter.apb \
    --base "$base" --trusted-key "$pub" --fleet 10000 --json "$out/report.json" --html "$out/report.html" > "$out/report.txt"
head -1 "$out/report.txt"

echo
echo "made in $out/:"
printf '  %-25s %8s  %s\n' file bytes what
for row in "${rows[@]}"; do
    IFS='|' read -r file bytes what <<< "$row"
    printf '  %-25s %8s  %s\n' "$file" "$bytes" "$what"
done
printf '  %-25s %8s  %s\n' lora-adapter.inspect.txt "$(size "$out/lora-adapter.inspect.txt")" "inspect of lora-adapter.apb (verified with $pub)"
printf '  %-25s %8s  %s\n' report.txt "$(size "$out/report.txt")" "the OTA report: sizes, savings, per-link air time and energy, fleet of 10,000"
printf '  %-25s %8s  %s\n' report.json "$(size "$out/report.json")" "the same as JSON (Spec/report-schema.json)"
printf '  %-25s %8s  %s\n' report.html "$(size "$out/report.html")" "the same as one HTML page with charts"
printf '  %-25s %8s  %s\n' run.log "$(size "$log")" "full output of diff, verify, apply, build, unapply"
echo
echo "bundle vs the model the device runs and vs a byte delta (report.txt has the links and the fleet):"
awk '/^== .*\.apb/ { name = $2; sub(/.*\//, "", name) }
     /^  full model, raw/ { raw = $0; sub(/^  full model, raw +/, "", raw); split(raw, r, "  ") }
     /^  byte delta \+ zlib-9/ { d = $0; sub(/^  byte delta \+ zlib-9 +/, "", d); split(d, b, "  ")
                                printf "  %-18s %s %s the %s-byte model; %s %s the %s-byte byte delta\n", name, r[2], (r[2] ~ /^larger/ ? "than" : "vs"), r[1], b[2], (b[2] ~ /^larger/ ? "than" : "vs"), b[1] }' \
    "$out/report.txt"
