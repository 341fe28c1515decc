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
# run by `swift test` (FuzzRegressionTests) as well as here. The device targets
# fuzz bundle format 2 (Spec/FORMAT.md): bundle-load and bundle-verify run the
# streaming loader (StreamLoader) on whole bundles, block-records the record
# and trailer reader of one block, the others one decoder each.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
shift || true
bin=/opt/swift/usr/bin
swiftc=${SWIFTC:-$(command -v swiftc || echo $bin/swiftc)}
out=.build-fuzz
mkdir -p "$out"

device_targets=(bundle-load bundle-verify inflate coded-values op-stream block-records journal-scan)
host_targets=(tflite safetensors peft-config tuf-metadata)
# C code of the Cortex-M4 SMP firmware (Examples/cortex-m4/smp): framing and CBOR.
c_targets=(smp-serial)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${device_targets[@]}" "${host_targets[@]}" "${c_targets[@]}")

mapfile -t device_sources < <(find Sources/AdapterFormat Sources/AdapterLoader -name '*.swift' | sort)
device_checks=(Tests/Fuzz/Checks/InvariantViolation.swift Tests/Fuzz/Checks/BundleLoadCheck.swift
               Tests/Fuzz/Checks/VerifyCheck.swift Tests/Fuzz/Checks/DecoderChecks.swift Tests/Fuzz/Checks/JournalCheck.swift)
mapfile -t host_sources < <(find Sources/AdapterPack/TFLite Sources/AdapterPack/Files -name '*.swift' | sort)
host_sources+=(Sources/AdapterPack/PEFT/Safetensors.swift Sources/AdapterPack/PEFT/PEFTConfig.swift Sources/AdapterPack/PEFT/JSONObject.swift)
host_checks=(Tests/Fuzz/Checks/InvariantViolation.swift Tests/Fuzz/Checks/HostParserChecks.swift)
# The TUF client's readers: JSON, canonical JSON, the role parsers and key readers (OpenSSL).
tuf_sources=(Sources/AdapterPack/Repository/JSONValue.swift Sources/AdapterPack/Repository/CanonicalJSON.swift
             Sources/AdapterPack/Repository/TUFTime.swift Sources/AdapterPack/Repository/Hex.swift
             Sources/AdapterPack/TUFClient/TUFClientError.swift Sources/AdapterPack/TUFClient/TUFClientKey.swift
             Sources/AdapterPack/TUFClient/TUFClientMetadata.swift
             Tests/Fuzz/Checks/InvariantViolation.swift Tests/Fuzz/Checks/TUFMetadataCheck.swift)

# Seeds: the golden vectors (format 2, one block each), the multi-block
# bundles of Tests/Fuzz/seeds/bundles (seeds/generate.sh), and the corpus
# models and adapters; the decoder targets get the bundles' first blocks.
bundles=(Spec/vectors/*.apb Tests/Fuzz/seeds/bundles/*.apb)
# Block 0 of a bundle: its records (and trailer) as they sit after the front and signature.
first_block() { dd if="$1" bs=1 skip=176 count="$(od -An -tu2 -j28 -N2 "$1" | tr -d ' ')" status=none; }
seeds() {
    local dir=$out/$1/seeds f name
    rm -rf "$dir"; mkdir -p "$dir"
    case $1 in
        bundle-load|bundle-verify) cp "${bundles[@]}" "$dir/" ;;
        # First byte: the history window (8 + byte % 8 bits); then raw deflate (gzip's, 32 KB window, without its header and trailer).
        inflate) printf '\x0f\x01\x05\x00\xfa\xffhello' > "$dir/stored"
                 { printf '\x07'; gzip -9 -n -c Spec/vectors/hello_world_base.tflite | tail -c +11 | head -c -8; } > "$dir/gzip-model"
                 { printf '\x07'; gzip -1 -n -c Spec/vectors/hello-world-tuned.json | tail -c +11 | head -c -8; } > "$dir/gzip-text" ;;
        coded-values|op-stream) for f in "${bundles[@]}"; do first_block "$f" > "$dir/$(basename "$f" .apb)"; done ;;
        # Bytes 0-1 segment count, byte 2 trailer flag and cut point (DecoderChecks.blockRecords), then a block.
        # A block 0 that ends before its bundle does ends with a trailer; the others get a made-up one.
        block-records) for f in "${bundles[@]}"; do
                           name=$(basename "$f" .apb)
                           if [ $((176 + $(od -An -tu2 -j28 -N2 "$f"))) -lt "$(wc -c < "$f")" ]; then
                               { printf '\x40\x00\x80'; first_block "$f"; } > "$dir/$name"
                               { printf '\x40\x00\xc0'; first_block "$f"; } > "$dir/$name-cut"
                           else
                               { printf '\x40\x00\x00'; first_block "$f"; } > "$dir/$name"
                               { printf '\x40\x00\x40'; first_block "$f"; } > "$dir/$name-cut"
                               { printf '\x40\x00\xc0'; first_block "$f"; head -c 34 /dev/zero; } > "$dir/$name-trailer"
                           fi
                       done ;;
        tflite) cp Examples/digits/*.tflite Spec/vectors/hello_world_base.tflite Tests/AdapterPackTests/Fixtures/*.tflite "$dir/" ;;
        safetensors) cp Examples/digits/lora-adapter/adapter_model.safetensors "$dir/" ;;
        peft-config) cp Examples/digits/lora-adapter/adapter_config.json "$dir/" ;;
        tuf-metadata) cp Tests/Fuzz/seeds/tuf/*.json "$dir/" ;;
        # Page size 256, program size 8, an id, then a journal of two intact records (byte 4 = 1, byte 7 odd:
        # the check writes magic, id and CRC) of units 0 and 1, steps 3 and 4, and a scratch page.
        journal-scan) python3 - "$dir" <<'PY'
import sys
def slot(step, unit):
    s = bytearray(112); s[4] = 1; s[5] = 1; s[7] = 1
    s[8:12] = step.to_bytes(4, "little"); s[12:16] = unit.to_bytes(4, "little"); return bytes(s)
head = bytes([0, 0]) + bytes(range(1, 25))
journal = slot(3, 0) + slot(4, 1)
open(sys.argv[1] + "/two-records", "wb").write(head + journal + b"\xff" * (512 - len(journal)) + bytes(256))
open(sys.argv[1] + "/empty", "wb").write(head)
PY
            ;;
        smp-serial) python3 - "$dir" <<'PY'
import base64, binascii, sys
# One SMP serial frame (an image upload request) and one CBOR map, as the firmware receives them.
packet = bytes([2, 0, 0, 8, 0, 1, 0, 1]) + bytes([0xA2, 0x63]) + b"off" + bytes([0x00, 0x64]) + b"data" + bytes([0x41, 0x55])
crc = binascii.crc_hqx(packet, 0)
frame = base64.b64encode(len(packet + b"..").to_bytes(2, "big") + packet + crc.to_bytes(2, "big"))
open(sys.argv[1] + "/frame", "wb").write(b"\x06\x09" + frame + b"\n")
open(sys.argv[1] + "/cbor", "wb").write(packet[8:])
PY
            ;;
    esac
    [ -d "Tests/Fuzz/regressions/$1" ] && cp "Tests/Fuzz/regressions/$1"/* "$dir/" 2>/dev/null || true
}

build() {
    local t=$1 exe=$out/$1/fuzz
    mkdir -p "$out/$t"
    local files
    local link=()
    if [[ " ${c_targets[*]} " == *" $t "* ]]; then
        "$(dirname "$swiftc")/clang" -std=c11 -g -O1 -fuse-ld=lld -DSMP_FUZZ -fsanitize=fuzzer,address,undefined \
            Examples/cortex-m4/smp/smp_parsers_test.c Examples/cortex-m4/smp/smp_serial.c Examples/cortex-m4/smp/cbor.c \
            -o "$exe" > "$out/$t/build.log" 2>&1 \
            || { grep -E 'error' "$out/$t/build.log" | head -20 >&2; echo "fuzz: $t did not build" >&2; return 1; }
        return 0
    elif [ "$t" = tuf-metadata ]; then
        files=("${tuf_sources[@]}")
        link=(-lcrypto)
    elif [[ " ${host_targets[*]} " == *" $t "* ]]; then
        files=("${host_sources[@]}" "${host_checks[@]}")
    else
        files=("${device_sources[@]}" "${device_checks[@]}")
    fi
    "$swiftc" -sanitize=fuzzer,address -parse-as-library -O -g -module-name FuzzTarget \
        -I Sources/CAdapterLoader/include -I Sources/CZlib -I Sources/COpenSSL \
        "${files[@]}" "Tests/Fuzz/Targets/$t.swift" "${link[@]}" -o "$exe" > "$out/$t/build.log" 2>&1 \
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
