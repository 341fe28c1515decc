"""Top-1 accuracy of a .tflite model under the two interpreters that judge
patched models: TensorFlow Lite Micro's own (the runtime the device runs,
PyPI `tflite-micro`) and LiteRT (PyPI `ai-edge-litert`).

Both take the model as bytes and int8 inputs shaped like the model's input.
Also what the check scripts share: running the CLI and reporting checks.
"""
import subprocess
import sys

import numpy as np

# TFLM plans every tensor inside one arena; the corpus models need < 100 KB.
TFLM_ARENA_BYTES = 512 * 1024


def tflm_accuracy(model_bytes, x, y):
    """Accuracy under TFLM's interpreter (reference kernels, as on the device)."""
    from tflite_micro.python.tflite_micro import runtime
    interpreter = runtime.Interpreter.from_bytes(bytes(model_bytes), arena_size=TFLM_ARENA_BYTES)
    shape = interpreter.get_input_details(0)["shape"]
    correct = 0
    for k in range(len(x)):
        interpreter.set_input(x[k:k + 1].reshape(shape).astype(np.int8), 0)
        interpreter.invoke()
        correct += int(np.argmax(interpreter.get_output(0)[0]) == int(y[k]))
    return correct / len(x)


def litert_accuracy(model_bytes, x, y):
    """Accuracy under LiteRT (optimized kernels, as a host or phone runs it)."""
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_content=bytes(model_bytes))
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    correct = 0
    for k in range(len(x)):
        interpreter.set_tensor(inp["index"], x[k:k + 1].reshape(inp["shape"]).astype(inp["dtype"]))
        interpreter.invoke()
        correct += int(np.argmax(interpreter.get_tensor(out["index"])[0]) == int(y[k]))
    return correct / len(x)


JUDGES = {"tflm": tflm_accuracy, "litert": litert_accuracy}


def run(cmd):
    """Runs a command; on failure prints its output and exits naming it. Returns stdout."""
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"command failed ({done.returncode}): {' '.join(cmd)}")
    return done.stdout


def report(script, checks):
    """Prints one PASS/FAIL line per (name, ok) check and a closing count;
    returns the script's exit status (1 when any check failed)."""
    failed = 0
    for name, ok in checks:
        print(("PASS " if ok else "FAIL ") + name)
        failed += 0 if ok else 1
    print(f"{script} checks: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0
