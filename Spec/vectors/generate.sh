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

make_vector() { # name base target sequence
    "$bin" diff --base "$2" --target "$3" --key "$key" --sequence "$4" --name "$1" -o "$v/$1.apb" >/dev/null
    "$bin" inspect "$v/$1.apb" --json > "$v/$1.json"
    echo "$v/$1.apb: $(wc -c < "$v/$1.apb") bytes"
}

make_vector digits-head-ft "$digits/base.tflite" "$digits/head-ft.tflite" 1
make_vector hello-world-tuned "$v/hello_world_base.tflite" "$v/hello_world_tuned.tflite" 2
make_vector hello-world-grown "$v/hello_world_base.tflite" "$v/hello_world_grown.tflite" 3
# hello_world_finetuned.tflite: `swift run adapterpack-bench --perturb $v/hello_world_base.tflite 1 $v/hello_world_finetuned.tflite`
make_vector hello-world-finetuned "$v/hello_world_base.tflite" "$v/hello_world_finetuned.tflite" 4
