#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser and decoder that reads outside input,
# with libFuzzer and AddressSanitizer (swiftc -sanitize=fuzzer,address).
#
#   bash Tests/Fuzz/run.sh [SECONDS] [TARGET...]      (FUZZ_SEED=N for a fixed random seed)
#
# Runs each target for SECONDS (default 600: a local campaign; CI runs 30) from
# its seed corpus, then prints one row per target: executions, executions per
# second, coverage (edges and features), corpus size and crashes. Exits non-zero
# if any target crashed, leaked, overran a buffer or broke an invariant; the
# input that did it is kept under .build-fuzz/<target>/ (artifact_prefix).
# Inputs that once failed are kept in Tests/Fuzz/regressions/<target>/ and are
# run by `swift test` (FuzzRegressionTests) as well as here.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
shift || true
bin=/opt/swift/usr/bin
swiftc=${SWIFTC:-$(command -v swiftc || echo $bin/swiftc)}
out=.build-fuzz
mkdir -p "$out"

device_targets=(bundle-load bundle-verify inflate coded-values op-stream chunk-directory)
host_targets=(tflite safetensors peft-config)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${device_targets[@]}" "${host_targets[@]}")

mapfile -t device_sources < <(find Sources/AdapterFormat Sources/AdapterLoader -name '*.swift' | sort)
device_checks=(Tests/Fuzz/Checks/InvariantViolation.swift Tests/Fuzz/Checks/BundleLoadCheck.swift
               Tests/Fuzz/Checks/VerifyCheck.swift Tests/Fuzz/Checks/DecoderChecks.swift)
mapfile -t host_sources < <(find Sources/AdapterPack/TFLite Sources/AdapterPack/Files -name '*.swift' | sort)
host_sources+=(Sources/AdapterPack/PEFT/Safetensors.swift Sources/AdapterPack/PEFT/PEFTConfig.swift Sources/AdapterPack/PEFT/JSONObject.swift)
host_checks=(Tests/Fuzz/Checks/InvariantViolation.swift Tests/Fuzz/Checks/HostParserChecks.swift)

# Seeds: the golden vectors and the corpus models and adapters.
seeds() {
    local dir=$out/$1/seeds
    rm -rf "$dir"; mkdir -p "$dir"
    case $1 in
        bundle-load|bundle-verify) cp Spec/vectors/*.apb "$dir/" ;;
        inflate) printf '\x0f\x01\x05\x00\xfa\xffhello' > "$dir/stored"; head -c 400 Spec/vectors/hello-world-tuned.apb > "$dir/bytes" ;;
        coded-values|op-stream|chunk-directory) for f in Spec/vectors/*.apb; do tail -c +512 "$f" | head -c 600 > "$dir/$(basename "$f")"; done ;;
        tflite) cp Examples/digits/*.tflite Spec/vectors/hello_world_base.tflite Tests/AdapterPackTests/Fixtures/*.tflite "$dir/" ;;
        safetensors) cp Examples/digits/lora-adapter/adapter_model.safetensors "$dir/" ;;
        peft-config) cp Examples/digits/lora-adapter/adapter_config.json "$dir/" ;;
    esac
    [ -d "Tests/Fuzz/regressions/$1" ] && cp "Tests/Fuzz/regressions/$1"/* "$dir/" 2>/dev/null || true
}

build() {
    local t=$1 exe=$out/$1/fuzz
    mkdir -p "$out/$t"
    local files
    if [[ " ${host_targets[*]} " == *" $t "* ]]; then
        files=("${host_sources[@]}" "${host_checks[@]}")
    else
        files=("${device_sources[@]}" "${device_checks[@]}")
    fi
    "$swiftc" -sanitize=fuzzer,address -parse-as-library -O -g -module-name FuzzTarget \
        -I Sources/CAdapterLoader/include -I Sources/CZlib -I Sources/COpenSSL \
        "${files[@]}" "Tests/Fuzz/Targets/$t.swift" -o "$exe" > "$out/$t/build.log" 2>&1 \
        || { grep -E 'error' "$out/$t/build.log" | head -20 >&2; echo "fuzz: $t did not build" >&2; return 1; }
}

failed=0
rows=()
for t in "${targets[@]}"; do
    build "$t" || { failed=1; rows+=("$t build-failed"); continue; }
    seeds "$t"
    corpus=$out/$t/corpus
    mkdir -p "$corpus"
    log=$out/$t/run.log
    # Findings of an earlier run were moved to regressions/ or are stale.
    rm -f "$out/$t"/crash-* "$out/$t"/leak-* "$out/$t"/timeout-* "$out/$t"/oom-*
    status=0
    # -rss_limit_mb and -timeout make huge allocations and hangs findings too.
    # FUZZ_SEED fixes libFuzzer's random seed (CI: the same mutations each run); 0 draws one.
    "$out/$t/fuzz" "$corpus" "$out/$t/seeds" -max_total_time="$seconds" -seed="${FUZZ_SEED:-0}" -print_final_stats=1 \
        -rss_limit_mb=2048 -timeout=10 -max_len=65536 -artifact_prefix="$out/$t/" > "$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 | awk '{print $2 "/" $4}')
    size=$(find "$corpus" -type f | wc -l)
    crashes=$(find "$out/$t" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' -o -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' | wc -l)
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
        failed=1
        grep -E 'ERROR|invariant|Fatal|==[0-9]+==' "$log" | head -5 >&2 || true
    fi
    rows+=("$t ${execs:-0} ${rate:-0} ${cov:-0/0} $size $crashes")
done

printf '\n%-16s %12s %10s %16s %8s %8s\n' target executions exec/s "edges/features" corpus crashes
for r in "${rows[@]}"; do
    read -r t e s c z k <<< "$r"
    printf '%-16s %12s %10s %16s %8s %8s\n' "$t" "$e" "${s:-}" "${c:-}" "${z:-}" "${k:-}"
done
echo "fuzz: ${seconds} s per target"
exit $failed
