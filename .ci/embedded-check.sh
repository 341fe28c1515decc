#!/usr/bin/env bash
# The device code (AdapterFormat + AdapterLoader) must build with Embedded
# Swift for a Cortex-M4: no Foundation, no existentials, no untyped throws.
set -euo pipefail
cd "$(dirname "$0")/.."
swiftc=${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t files < <(find Sources/AdapterFormat Sources/AdapterLoader -name '*.swift' | sort)
for target in armv7em-none-none-eabi armv6m-none-none-eabi; do
    "$swiftc" -target "$target" -enable-experimental-feature Embedded -wmo -parse-as-library -Osize \
        -c "${files[@]}" -module-name DeviceCheck -o "$tmp/device-$target.o"
    echo "embedded check: ${#files[@]} device sources build for $target ($(wc -c < "$tmp/device-$target.o") byte object)"
done
# Device sources import nothing but the standard library and each other.
if grep -rnE '^[[:space:]]*import[[:space:]]+' Sources/AdapterFormat Sources/AdapterLoader | grep -vE 'import AdapterFormat$'; then
    echo "embedded check: device code imports a module other than AdapterFormat" >&2
    exit 1
fi
