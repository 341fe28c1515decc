#!/usr/bin/env bash
# The device code (AdapterFormat + AdapterLoader) must build with Embedded
# Swift for a Cortex-M4 and a Cortex-M0+: no Foundation, no existentials, no
# untyped throws, no Float/Double, and no heap.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=/opt/swift/usr/bin
swiftc=${SWIFTC:-$(command -v swiftc || echo $bin/swiftc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t files < <(find Sources/AdapterFormat Sources/AdapterLoader -name '*.swift' | sort)
for target in armv7em-none-none-eabi armv6m-none-none-eabi; do
    "$swiftc" -target "$target" -enable-experimental-feature Embedded -wmo -parse-as-library -Osize \
        -I Sources/CAdapterLoader/include -c "${files[@]}" -module-name DeviceCheck -o "$tmp/device-$target.o"
    echo "embedded check: ${#files[@]} device sources build for $target ($(wc -c < "$tmp/device-$target.o") byte object)"
done
# Many MCUs have no FPU: the Cortex-M0+ object must not call soft-float helpers.
float=$("$bin/llvm-nm" -u "$tmp/device-armv6m-none-none-eabi.o" \
    | grep -E '__aeabi_(f|d|[iul]2[fd]|[fd]2)|__(add|sub|mul|div|extend|trunc|fix|float)[a-z]*[sdt]f' || true)
if [ -n "$float" ]; then
    echo "embedded check: device code uses floating point:" >&2
    echo "$float" >&2
    exit 1
fi
# Device sources import nothing but the standard library, each other and the C API header.
if grep -rnE '^[[:space:]]*import[[:space:]]+' Sources/AdapterFormat Sources/AdapterLoader | grep -vE 'import (AdapterFormat|CAdapterLoader)$'; then
    echo "embedded check: device code imports a module other than AdapterFormat/CAdapterLoader" >&2
    exit 1
fi
# The C API's entry points instantiate verify, apply, unapply and resume on RAM
# and flash stores. No function in the object may call an allocator, except
# the embedded runtime's own allocator functions (emitted whether used or not).
callers=$("$bin/llvm-objdump" -dr "$tmp/device-armv7em-none-none-eabi.o" | awk '
    /^[0-9a-f]+ <.*>:$/ { fn = $2 }
    /R_ARM_/ && $NF ~ /(swift_allocObject|swift_slowAlloc|swift_coroFrameAlloc|swift_allocBox|swift_initStackObject|posix_memalign|malloc|calloc|realloc)$/ {
        if (fn !~ /^<(swift_allocObject|\$es17swift_allocObject.*|swift_slowAlloc|swift_coroFrameAlloc)>:$/) print fn " -> " $NF
    }' | sort -u)
if [ -n "$callers" ]; then
    echo "embedded check: device code allocates:" >&2
    echo "$callers" >&2
    exit 1
fi
symbols=$("$bin/llvm-nm" "$tmp/device-armv7em-none-none-eabi.o")
for entry in ap_apply_ram ap_unapply_ram ap_apply_flash ap_unapply_flash ap_resume_flash ap_verify ap_window_size ap_error_name \
             ap_stream_state_size ap_stream_begin ap_stream_feed ap_stream_next_offset ap_stream_is_complete ap_stream_end; do
    grep -q " T $entry\$" <<< "$symbols" || { echo "embedded check: C entry point $entry missing" >&2; exit 1; }
done
echo "embedded check: C API present; no device function calls an allocator"
