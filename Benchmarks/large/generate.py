"""Seeded generator of a >= 1 M-parameter int8 model and its full fine-tune.

The digits recipe of ../shared/corpus/README.md at a larger size: a CNN
(Conv2D 32 -> Flatten -> Dense 512 `fc1` -> Dense 128 `fc2` -> Dense 10
`logits`; 1,116,170 parameters) trained with TensorFlow/Keras on
scikit-learn's load_digits images, converted with TFLiteConverter to full-int8
(optimizations DEFAULT, a representative dataset, TFLITE_BUILTINS_INT8, int8
input and output), then every weight fine-tuned on a shifted domain (rotation
up to +-15 degrees, sub-pixel shifts, lower contrast, a grey background,
noise) and converted the same way with the same representative data, so the
input quantization is identical and one eval.npz serves both.

    python3 -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu scikit-learn
    /tmp/tf/bin/python Benchmarks/large/generate.py Examples/large

Writes base.tflite, full-ft.tflite, eval.npz (x_shifted, y_shifted,
x_original, y_original: 400 int8 inputs each, with labels) and eval.json
(float and TFLite top-1 per model and domain, tool versions, SHA-256).
"""
import hashlib
import json
import os
import sys

import numpy as np

SEED = 20261204


def shifted(images, rng):
    """The shifted domain: another sensor's view of the same digits."""
    from scipy import ndimage
    out = np.empty_like(images)
    for k, img in enumerate(images):
        x = ndimage.rotate(img, rng.uniform(-15, 15), reshape=False, order=1, mode="constant")
        x = ndimage.shift(x, rng.uniform(-0.7, 0.7, size=2), order=1, mode="constant")
        x = 0.25 + 0.6 * x + rng.normal(0, 0.06, size=x.shape)
        out[k] = np.clip(x, 0, 1)
    return out


def main(directory):
    os.environ["TF_DETERMINISTIC_OPS"] = "1"
    import tensorflow as tf
    from sklearn.datasets import load_digits
    tf.keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    rng = np.random.default_rng(SEED)

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    labels = digits.target.astype(np.int64)
    order = rng.permutation(len(images))
    images, labels = images[order], labels[order]
    test, train = slice(0, 400), slice(400, None)
    x_orig_train, y_train = images[train][..., None], labels[train]
    x_orig_test, y_test = images[test][..., None], labels[test]
    x_shift_train = shifted(images[train], rng)[..., None]
    x_shift_test = shifted(images[test], rng)[..., None]

    def model():
        inputs = tf.keras.Input((8, 8, 1), name="image")
        x = tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1")(inputs)
        x = tf.keras.layers.Flatten(name="flatten")(x)
        x = tf.keras.layers.Dense(512, activation="relu", name="fc1")(x)
        x = tf.keras.layers.Dropout(0.3, name="drop")(x)
        x = tf.keras.layers.Dense(128, activation="relu", name="fc2")(x)
        outputs = tf.keras.layers.Dense(10, name="logits")(x)
        return tf.keras.Model(inputs, outputs, name="large_digits")

    def fit(m, x, y, epochs, lr):
        m.compile(optimizer=tf.keras.optimizers.Adam(lr),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        m.fit(x, y, epochs=epochs, batch_size=32, verbose=0, shuffle=True)

    representative = np.concatenate([x_orig_train[:150], x_shift_train[:150]])

    def convert(m):
        # A fresh model with the same layer names, so tensor order and buffers match between variants.
        fresh = model()
        fresh.set_weights(m.get_weights())
        converter = tf.lite.TFLiteConverter.from_keras_model(fresh)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([s[None]] for s in representative)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
        return converter.convert()

    base = model()
    fit(base, x_orig_train, y_train, epochs=30, lr=0.001)
    base_bytes = convert(base)
    tuned = model()
    tuned.set_weights(base.get_weights())
    fit(tuned, x_shift_train, y_train, epochs=8, lr=0.0005)
    tuned_bytes = convert(tuned)

    interpreter = tf.lite.Interpreter(model_content=base_bytes)
    scale, zero = interpreter.get_input_details()[0]["quantization"]

    def quantize(x):
        return np.clip(np.round(x / scale + zero), -128, 127).astype(np.int8)

    def tflite_accuracy(content, x, y):
        it = tf.lite.Interpreter(model_content=content)
        it.allocate_tensors()
        i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
        right = 0
        for sample, label in zip(x, y):
            it.set_tensor(i, sample[None])
            it.invoke()
            right += int(np.argmax(it.get_tensor(o)[0]) == label)
        return right / len(y)

    os.makedirs(directory, exist_ok=True)
    for name, content in [("base", base_bytes), ("full-ft", tuned_bytes)]:
        with open(os.path.join(directory, name + ".tflite"), "wb") as f:
            f.write(content)
    eval_data = dict(x_shifted=quantize(x_shift_test), y_shifted=y_test, x_original=quantize(x_orig_test), y_original=y_test)
    np.savez(os.path.join(directory, "eval.npz"), **eval_data)
    report = {"params": int(base.count_params()), "seed": SEED,
              "versions": {"tensorflow": tf.__version__, "numpy": np.__version__}}
    for name, m, content in [("base", base, base_bytes), ("full-ft", tuned, tuned_bytes)]:
        report[name] = {
            "bytes": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "float_acc_shifted_domain": float(np.mean(np.argmax(m.predict(x_shift_test, verbose=0), 1) == y_test)),
            "float_acc_original_domain": float(np.mean(np.argmax(m.predict(x_orig_test, verbose=0), 1) == y_test)),
            "acc_shifted_domain": tflite_accuracy(content, eval_data["x_shifted"], y_test),
            "acc_original_domain": tflite_accuracy(content, eval_data["x_original"], y_test),
        }
    with open(os.path.join(directory, "eval.json"), "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(report, indent=2, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Examples/large")
