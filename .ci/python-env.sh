#!/usr/bin/env bash
# Python venv for the LiteRT accuracy check (Tests/python/lora_accuracy.py,
# run by LoRALiteRTTests): ai-edge-litert + numpy from PyPI, in .build-venv/
# (git-ignored by `.build-*/`). Idempotent; safe to call on every CI run.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build-venv
if ! "$venv/bin/python3" -c 'import ai_edge_litert, numpy' >/dev/null 2>&1; then
    python3 -m venv "$venv"
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check ai-edge-litert==2.3.0 numpy==2.4.6
fi
"$venv/bin/python3" -c 'import ai_edge_litert, numpy; print("python env: ai-edge-litert and numpy", numpy.__version__, "in .build-venv")'
