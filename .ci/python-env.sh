#!/usr/bin/env bash
# Python venv for the test oracles written elsewhere: TFLM's interpreter and LiteRT for the accuracy
# check (Tests/python/lora_accuracy.py, run by PatchedModelAccuracyTests) and the `tflite`
# flatbuffer package for the TFLite reader cross-check (TFLiteModelTests);
# from PyPI, in .build-venv/ (git-ignored by `.build-*/`). Idempotent; safe to
# call on every CI run.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build-venv
if ! "$venv/bin/python3" -c 'import ai_edge_litert, numpy, tflite, flatbuffers' >/dev/null 2>&1; then
    python3 -m venv "$venv"
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check \
        ai-edge-litert==2.3.0 numpy==2.4.6 tflite==2.18.0
fi
# python-tuf, the TUF client of the repository interop test (RepoInteropTests, Tests/python/tuf_client.py).
"$venv/bin/python3" -c 'import tuf.ngclient' >/dev/null 2>&1 || "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check tuf==7.0.1
# pyca/cryptography, for python-tuf's key generation in the interop repository writer (Tests/python/python_tuf_repo.py).
"$venv/bin/python3" -c 'import cryptography' >/dev/null 2>&1 || "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check cryptography==50.0.2
# TensorFlow Lite Micro's own interpreter (the device's runtime), the first judge of patched models (Tests/python/judges.py).
"$venv/bin/python3" -c 'from tflite_micro.python.tflite_micro import runtime' >/dev/null 2>&1 || "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check tflite-micro==0.dev20261023182759
# smpclient, the MCUmgr (SMP) client that uploads bundles into the Cortex-M4 firmware (Examples/cortex-m4/run.sh).
"$venv/bin/python3" -c 'import smpclient.transport.serial' >/dev/null 2>&1 || "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check 'smpclient[serial]==7.3.0'
"$venv/bin/python3" -c 'import ai_edge_litert, numpy, tflite; print("python env: ai-edge-litert, numpy", numpy.__version__, "and tflite in .build-venv")'
