#!/usr/bin/env bash
# Regenerates the golden vectors. Run from the repository root after any change
# to the byte layout, and commit the result together with the change.
# Ed25519 signatures are deterministic, so the same inputs give the same bytes.
set -euo pipefail
swift build --product adapterpack >/dev/null
bin=$(swift build --show-bin-path)/adapterpack
v=Spec/vectors
digits=Examples/digits
key=Keys/dev-ed25519.pem

make_vector() { # name base target sequence [diff options]
    local name=$1 base=$2 target=$3 sequence=$4
    shift 4
    "$bin" diff --base "$base" --target "$target" --key "$key" --sequence "$sequence" --name "$name" "$@" -o "$v/$name.apb" >/dev/null
    "$bin" inspect "$v/$name.apb" --json > "$v/$name.json"
    echo "$v/$name.apb: $(wc -c < "$v/$name.apb") bytes"
}

make_vector digits-head-ft "$digits/base.tflite" "$digits/head-ft.tflite" 1
# Several chained blocks; the records for people (tool, file names, tensor map).
# (hello_world_tuned.tflite changes a buffer length too: not a valid model, so a byte-level bundle.)
make_vector hello-world-tuned "$v/hello_world_base.tflite" "$v/hello_world_tuned.tflite" 2 --block-size 256 --raw
make_vector hello-world-grown "$v/hello_world_base.tflite" "$v/hello_world_grown.tflite" 3 --describe --raw
# hello_world_finetuned.tflite: `swift run adapterpack-bench --perturb $v/hello_world_base.tflite 1 $v/hello_world_finetuned.tflite`
make_vector hello-world-finetuned "$v/hello_world_base.tflite" "$v/hello_world_finetuned.tflite" 4 --block-size 512
# A LoRA bundle (one-way: rows rescaled) and the restore bundle build writes beside it.
"$bin" build --base "$digits/base.tflite" --adapter "$digits/lora-adapter" --map "$digits/lora-adapter/tensor_map.json" \
    --key "$key" --sequence 5 --name digits-lora -o "$v/digits-lora.apb" >/dev/null
for name in digits-lora digits-lora.restore; do
    "$bin" inspect "$v/$name.apb" --json > "$v/$name.json"
    echo "$v/$name.apb: $(wc -c < "$v/$name.apb") bytes"
done
