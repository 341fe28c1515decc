"""Sizes of general-purpose compressors and delta tools for one model pair.

Usage: baselines.py BASE TARGET -> one JSON object {tool: bytes}, including
xz/zlib of the byte-wise difference when the models have the same length. Tools whose
Python package is missing are left out (zlib and lzma are in the standard
library; zstandard, bsdiff4 and detools come from `pip install` into
.venv-bench/, see Benchmarks/README.md). Every patch is applied again and
compared byte for byte; a tool whose round trip fails is left out.
"""
import io, json, lzma, os, sys, tempfile, zlib

base = open(sys.argv[1], 'rb').read()
target = open(sys.argv[2], 'rb').read()
out = {}
out['zlib -9'] = len(zlib.compress(target, 9))
out['xz -9e'] = len(lzma.compress(target, preset=9 | lzma.PRESET_EXTREME))
# The baseline a user tries first on same-sized models: compress the byte-wise
# difference (target - base mod 256, and XOR) with xz and zlib.
if len(base) == len(target):
    sub = bytes((t - b) & 0xFF for b, t in zip(base, target))
    xor = bytes(t ^ b for b, t in zip(base, target))
    for name, data in (('Δ', sub), ('XOR', xor)):
        out['xz -9e of ' + name] = len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
        out['zlib -9 of ' + name] = len(zlib.compress(data, 9))
try:
    import zstandard
    out['zstd -19'] = len(zstandard.ZstdCompressor(level=19).compress(target))
    out['zstd -22'] = len(zstandard.ZstdCompressor(level=22).compress(target))
except ImportError:
    pass
try:
    import bsdiff4
    patch = bsdiff4.diff(base, target)
    if bsdiff4.patch(base, patch) == target:
        out['bsdiff4'] = len(patch)
except ImportError:
    pass
try:
    import detools
    variants = {
        'dt seq lzma': dict(compression='lzma'),
        'dt seq crle': dict(compression='crle'),
        'dt seq heatshrink': dict(compression='heatshrink'),
        'dt match-blocks lzma': dict(compression='lzma', algorithm='match-blocks'),
        'dt hdiffpatch lzma': dict(compression='lzma', patch_type='hdiffpatch', algorithm='hdiffpatch'),
    }
    for name, kw in variants.items():
        try:
            # Real files: some algorithms memory-map their inputs.
            with tempfile.TemporaryDirectory() as tmp:
                paths = [os.path.join(tmp, n) for n in ('from', 'to', 'patch', 'out')]
                for path, data in zip(paths, (base, target)):
                    open(path, 'wb').write(data)
                with open(paths[0], 'rb') as ffrom, open(paths[1], 'rb') as fto, open(paths[2], 'wb') as fpatch:
                    detools.create_patch(ffrom, fto, fpatch, **kw)
                with open(paths[0], 'rb') as ffrom, open(paths[2], 'rb') as fpatch, open(paths[3], 'wb') as fout:
                    detools.apply_patch(ffrom, fpatch, fout)
                if open(paths[3], 'rb').read() == target:
                    out[name] = os.path.getsize(paths[2])
        except Exception:
            pass
except ImportError:
    pass
print(json.dumps(out))
