/// The helper `AccuracyGuard` runs in a Python that has TensorFlow Lite
/// Micro's interpreter (PyPI `tflite-micro`, the runtime the device runs):
/// top-1 accuracy of each model given, one JSON line each. Kept in the binary
/// so that the CLI needs nothing but that Python. Exit 2 with one line on
/// stderr when the data or a model cannot be used.
enum GuardScript {
    static let source = #"""
import json, sys
import numpy as np

def fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(2)

try:
    from tflite_micro.python.tflite_micro import runtime
except Exception as error:
    fail(f"this Python has no TensorFlow Lite Micro interpreter (pip install tflite-micro): {error}")

data_path, split, models = sys.argv[1], sys.argv[2], sys.argv[3:]
try:
    data = np.load(data_path)
except Exception as error:
    fail(f"--eval {data_path}: not a readable .npz file ({error})")
xk, yk = ("x", "y") if split == "" else ("x_" + split, "y_" + split)
if xk not in data.files or yk not in data.files:
    names = ", ".join(data.files)
    fail(f"--eval {data_path}: no arrays '{xk}' and '{yk}' (it has: {names}); give --eval-split NAME for x_NAME / y_NAME")
x, y = data[xk], data[yk]
if len(x) == 0 or len(x) != len(y) or y.ndim != 1:
    fail(f"--eval {data_path}: '{xk}' has {len(x)} samples and '{yk}' shape {list(y.shape)}; need one integer label per sample")
if not np.issubdtype(y.dtype, np.integer):
    fail(f"--eval {data_path}: labels '{yk}' are {y.dtype}, not integers")

for path in models:
    try:
        interpreter = runtime.Interpreter.from_file(path, arena_size=2 * 1024 * 1024)
        detail = interpreter.get_input_details(0)
    except Exception as error:
        fail(f"{path}: TensorFlow Lite Micro cannot run this model ({error})")
    shape, dtype = [int(v) for v in detail["shape"]], np.dtype(detail["dtype"])
    if [int(v) for v in x.shape[1:]] != shape[1:]:
        fail(f"--eval {data_path}: samples of '{xk}' are {[int(v) for v in x.shape[1:]]}, the model's input is {shape[1:]} (batch {shape[0]})")
    if x.dtype != dtype:
        fail(f"--eval {data_path}: '{xk}' is {x.dtype}, the model's input is {dtype}")
    classes = int(np.prod(interpreter.get_output_details(0)["shape"][1:]))
    if int(y.min()) < 0 or int(y.max()) >= classes:
        fail(f"--eval {data_path}: labels run {int(y.min())} … {int(y.max())}, the model has {classes} outputs")
    correct = 0
    for k in range(len(x)):
        interpreter.set_input(x[k:k + 1].reshape(shape), 0)
        interpreter.invoke()
        correct += int(np.argmax(interpreter.get_output(0)[0]) == int(y[k]))
    print(json.dumps({"model": path, "accuracy": correct / len(x), "samples": len(x)}), flush=True)
"""#
}
