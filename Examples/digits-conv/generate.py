#!/usr/bin/env python3
"""Build the "digits-conv" fixture: a convolution LoRA adapter made with PEFT, and
the int8 TFLite models it applies to.

What it does
------------
1. Data: scikit-learn's ``load_digits`` (1,797 real 8x8 handwritten digits, scaled to
   [0, 1]); a seeded split into 1,397 training and 400 test images.  The *shifted*
   domain (a different sensor) is made here from the same images: rotation up to
   +-15 degrees and sub-pixel shifts (bilinear resampling), lower contrast, a grey
   background and Gaussian noise.
2. A small CNN in PyTorch, made mostly of convolutions:
   conv1 Conv2d(1->8, 3x3, pad 1) + ReLU -> conv2 Conv2d(8->16, 3x3, pad 1) + ReLU ->
   MaxPool 2 -> conv3 Conv2d(16->32, 3x3, pad 1) + ReLU -> global average pooling ->
   Linear(32->10) ``logits``.  Trained on the original domain: the *base* model.
3. PEFT: ``LoraConfig(r=4, lora_alpha=8, target_modules=["conv2", "conv3"],
   lora_dropout=0)`` through ``get_peft_model``; PEFT's Conv2d LoRA has lora_A a kxk
   conv (r x in x kh x kw) and lora_B a 1x1 conv (out x r x 1 x 1), so
   W[o,i,h,w] += lora_alpha/r * sum_r B[o,r] * A[r,i,h,w].  Only the LoRA weights are
   trained, on the shifted domain.  The adapter is saved with
   ``save_pretrained`` into ``lora-adapter/`` and the float model merged with
   ``merge_and_unload``.
4. Both torch models (base, merged) are copied into an equivalent channels-last Keras
   model (conv OIHW -> HWIO, Linear [out,in] -> Dense [in,out]; the float outputs are
   checked against torch's), each rebuilt in a fresh Keras session with a named
   input, and converted with ``TFLiteConverter`` to full-integer int8 (optimizations
   DEFAULT, the same representative dataset of 150 original + 150 shifted training
   images, TFLITE_BUILTINS_INT8, int8 input and output): ``base.tflite`` and
   ``lora.tflite`` (the reference: the merged model converted).  Both files are checked
   to have the same length, tensors, operators and buffer offsets.
5. ``lora-adapter/tensor_map.json``: for each adapted module, the int8 kernel tensor
   of ``base.tflite`` it adapts (index, shape [out, kh, kw, in] "ohwi", per-channel
   scales, buffer and its byte range in the file, the int32 bias tensor).
6. ``eval.npz`` (400 int8 test inputs per domain, with labels) and ``eval.json``:
   top-1 accuracy of both models on both domains with TFLite Micro's interpreter and
   with LiteRT, plus the float torch models'.
7. ``manifest.json`` (architecture, training, quantization, SHA-256 of every file, tool
   versions).

How to run
----------
    python Examples/digits-conv/generate.py            # writes into its own directory
    python Examples/digits-conv/generate.py --out DIR  # or somewhere else

It needs torch, peft, tensorflow-cpu, safetensors, scikit-learn, numpy, tflite-micro
and ai-edge-litert (the exact versions are in README.md).  PyTorch and TensorFlow
cannot share a process here (their bundled LLVMs clash), so the script runs itself
twice: ``--stage torch`` (data, training, PEFT) then ``--stage tflite`` (Keras,
conversion, maps, evaluation); intermediate arrays go to a temporary directory.
Everything is seeded and single-threaded; on the same CPU and tool versions the
outputs are byte-identical from run to run (manifest.json records the hashes).
It takes well under a minute on one CPU core.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # no oneDNN re-ordering of float sums
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # PEFT must not look base.tflite up on a hub

import numpy as np

SEED = 20240607
N_TEST = 400
N_REP = 150  # representative samples per domain

RANK = 4
ALPHA = 8
TARGETS = ["conv2", "conv3"]

BASE_EPOCHS, BASE_LR, BATCH = 60, 3e-3, 32
LORA_EPOCHS, LORA_LR = 40, 5e-3
SHIFT_COPIES = 2  # shifted-domain training set: this many random shifts of each image

# The shifted domain ("another sensor").
SHIFT = {
    "rotation_deg": 15.0,     # uniform in [-15, 15]
    "shift_px": 0.75,         # uniform in [-0.75, 0.75] on each axis
    "contrast": [0.55, 0.80],  # uniform: strokes scaled by this
    "background": [0.10, 0.25],  # uniform grey level added
    "noise_std": 0.05,        # Gaussian noise
}

LAYERS = [  # name, type, params
    ("conv1", "Conv2D", 1 * 8 * 9 + 8),
    ("conv2", "Conv2D", 8 * 16 * 9 + 16),
    ("pool", "MaxPooling2D", 0),
    ("conv3", "Conv2D", 16 * 32 * 9 + 32),
    ("gap", "GlobalAveragePooling2D", 0),
    ("logits", "Dense", 32 * 10 + 10),
]
PARAMS = sum(p for _, _, p in LAYERS)

TFLM_ARENA = 32 * 1024


# --------------------------------------------------------------------------- data


def shift_domain(images, rng):
    """The shifted domain: rotate (+-15 deg) and shift (sub-pixel) each 8x8 image with
    bilinear resampling (zero outside), then lower the contrast, add a grey background
    and Gaussian noise; clip to [0, 1].  images: [N, 8, 8] float in [0, 1]."""
    n, h, w = images.shape
    out = np.empty_like(images, dtype=np.float32)
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    yy, xx = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    for k in range(n):
        theta = np.deg2rad(rng.uniform(-SHIFT["rotation_deg"], SHIFT["rotation_deg"]))
        dy, dx = rng.uniform(-SHIFT["shift_px"], SHIFT["shift_px"], size=2)
        contrast = rng.uniform(*SHIFT["contrast"])
        background = rng.uniform(*SHIFT["background"])
        # inverse map: output pixel -> source position (rotate by -theta about the centre)
        ry, rx = yy - cy - dy, xx - cx - dx
        c, s = np.cos(theta), np.sin(theta)
        sy = c * ry - s * rx + cy
        sx = s * ry + c * rx + cx
        y0, x0 = np.floor(sy).astype(int), np.floor(sx).astype(int)
        fy, fx = sy - y0, sx - x0
        img = images[k]

        def at(yi, xi):
            ok = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
            return np.where(ok, img[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)], 0.0)

        warped = ((1 - fy) * (1 - fx) * at(y0, x0) + (1 - fy) * fx * at(y0, x0 + 1)
                  + fy * (1 - fx) * at(y0 + 1, x0) + fy * fx * at(y0 + 1, x0 + 1))
        noisy = background + contrast * warped + rng.normal(0.0, SHIFT["noise_std"], size=(h, w))
        out[k] = np.clip(noisy, 0.0, 1.0)
    return out


def make_data():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)  # [1797, 8, 8]
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(SEED)
    perm = rng.permutation(len(x))
    test, train = perm[:N_TEST], perm[N_TEST:]
    d = {
        "x_train_original": x[train], "y_train_original": y[train],
        "x_test_original": x[test], "y_test_original": y[test],
    }
    shift_rng = np.random.default_rng(SEED + 1)
    d["x_test_shifted"] = shift_domain(x[test], shift_rng)
    d["y_test_shifted"] = y[test]
    d["x_train_shifted"] = np.concatenate([shift_domain(x[train], shift_rng) for _ in range(SHIFT_COPIES)])
    d["y_train_shifted"] = np.concatenate([y[train]] * SHIFT_COPIES)
    rep_rng = np.random.default_rng(SEED + 2)
    rep_o = d["x_train_original"][rep_rng.permutation(len(train))[:N_REP]]
    rep_s = d["x_train_shifted"][rep_rng.permutation(len(d["x_train_shifted"]))[:N_REP]]
    d["x_representative"] = np.concatenate([rep_o, rep_s])
    return d


def save_npz_reproducibly(path, arrays):
    """np.savez_compressed, but with fixed zip timestamps so the file is byte-stable."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arr), allow_pickle=False)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# --------------------------------------------------------------------- stage torch


def stage_torch(out, work):
    import random

    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model
    from safetensors.numpy import load_file

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    class DigitsConv(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.conv3 = nn.Conv2d(16, 32, 3, padding=1)
            self.logits = nn.Linear(32, 10)

        def forward(self, x):  # x: [N, 1, 8, 8]
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = self.pool(x)
            x = F.relu(self.conv3(x))
            x = x.mean(dim=(2, 3))
            return self.logits(x)

    d = make_data()
    np.savez(os.path.join(work, "data.npz"), **d)

    def t(x):
        return torch.from_numpy(x[:, None, :, :].copy())

    def train(model, x, y, epochs, lr, seed):
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.Adam(params, lr=lr)
        gen = torch.Generator().manual_seed(seed)
        xt, yt = t(x), torch.from_numpy(y)
        model.train()
        for _ in range(epochs):
            perm = torch.randperm(len(xt), generator=gen)
            for i in range(0, len(xt), BATCH):
                idx = perm[i:i + BATCH]
                opt.zero_grad()
                loss = F.cross_entropy(model(xt[idx]), yt[idx])
                loss.backward()
                opt.step()
        model.eval()
        return sum(p.numel() for p in params)

    @torch.no_grad()
    def acc(model, x, y):
        model.eval()
        return float((model(t(x)).argmax(1).numpy() == y).mean())

    def state(model):
        return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}

    t0 = time.time()
    model = DigitsConv()
    base_trainable = train(model, d["x_train_original"], d["y_train_original"], BASE_EPOCHS, BASE_LR, SEED)
    base_sd = state(model)
    info = {"base": {
        "trainable_params": base_trainable,
        "float_acc_original_domain": acc(model, d["x_test_original"], d["y_test_original"]),
        "float_acc_shifted_domain": acc(model, d["x_test_shifted"], d["y_test_shifted"]),
        "train_seconds": round(time.time() - t0, 1),
    }}
    print("base (float):", info["base"])

    t0 = time.time()
    config = LoraConfig(r=RANK, lora_alpha=ALPHA, target_modules=TARGETS, lora_dropout=0.0, bias="none")
    peft_model = get_peft_model(model, config)  # injects the LoRA layers into `model`
    lora_trainable = train(peft_model, d["x_train_shifted"], d["y_train_shifted"], LORA_EPOCHS, LORA_LR, SEED + 3)
    assert lora_trainable == sum(RANK * (cin * 9 + cout) for cin, cout in [(8, 16), (16, 32)]), lora_trainable
    info["lora"] = {
        "trainable_params": lora_trainable,
        "float_acc_original_domain": acc(peft_model, d["x_test_original"], d["y_test_original"]),
        "float_acc_shifted_domain": acc(peft_model, d["x_test_shifted"], d["y_test_shifted"]),
        "train_seconds": round(time.time() - t0, 1),
    }
    print("lora (float, unmerged):", info["lora"])

    adapter_dir = os.path.join(out, "lora-adapter")
    os.makedirs(adapter_dir, exist_ok=True)
    for name in ("adapter_model.safetensors", "adapter_config.json", "README.md"):
        if os.path.exists(os.path.join(adapter_dir, name)):
            os.remove(os.path.join(adapter_dir, name))
    peft_model.peft_config["default"].base_model_name_or_path = "base.tflite"
    peft_model.peft_config["default"].inference_mode = True
    peft_model.save_pretrained(adapter_dir)
    os.chmod(os.path.join(adapter_dir, "adapter_model.safetensors"), 0o644)
    card = os.path.join(adapter_dir, "README.md")  # PEFT's auto-generated model card
    if os.path.exists(card):
        os.remove(card)

    with torch.no_grad():
        check_x = t(np.concatenate([d["x_test_original"][:64], d["x_test_shifted"][:64]]))
        unmerged_logits = peft_model(check_x).numpy()
    merged = peft_model.merge_and_unload()
    merged_sd = state(merged)
    with torch.no_grad():
        merged_logits = merged(check_x).numpy()
    assert set(merged_sd) == set(base_sd), (sorted(merged_sd), sorted(base_sd))

    # The saved adapter, applied by hand, must give the merged weights.
    factors = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    expect_keys = {f"base_model.model.{m}.lora_{ab}.weight" for m in TARGETS for ab in "AB"}
    assert set(factors) == expect_keys, sorted(factors)
    weight_err = 0.0
    for m in TARGETS:
        a = factors[f"base_model.model.{m}.lora_A.weight"]  # [r, in, kh, kw]
        b = factors[f"base_model.model.{m}.lora_B.weight"]  # [out, r, 1, 1]
        assert a.shape[0] == RANK and b.shape[1:] == (RANK, 1, 1), (a.shape, b.shape)
        delta = (ALPHA / RANK) * np.einsum("or,rihw->oihw", b[:, :, 0, 0].astype(np.float64), a.astype(np.float64))
        weight_err = max(weight_err, float(np.abs(base_sd[f"{m}.weight"] + delta - merged_sd[f"{m}.weight"]).max()))
    for k in base_sd:
        if not any(k == f"{m}.weight" for m in TARGETS):
            assert np.array_equal(base_sd[k], merged_sd[k]), k
    logit_err = float(np.abs(unmerged_logits - merged_logits).max())
    assert weight_err < 1e-5 and logit_err < 1e-4, (weight_err, logit_err)
    info["lora"]["float_acc_original_domain_merged"] = acc(merged, d["x_test_original"], d["y_test_original"])
    info["lora"]["float_acc_shifted_domain_merged"] = acc(merged, d["x_test_shifted"], d["y_test_shifted"])
    info["lora_verification"] = {"max_abs_weight_error": weight_err, "max_abs_logit_error": logit_err}
    info["lora_factor_shapes"] = {k: list(v.shape) for k, v in sorted(factors.items())}
    info["lora_factor_values"] = int(sum(v.size for v in factors.values()))

    # Float logits of a batch, to check the Keras copies against.
    with torch.no_grad():
        model_base = DigitsConv()
        model_base.load_state_dict({k: torch.from_numpy(v) for k, v in base_sd.items()})
        model_base.eval()
        info["check_logits_base"] = model_base(check_x).numpy().tolist()
        info["check_logits_lora"] = merged_logits.tolist()
    np.save(os.path.join(work, "check_x.npy"), check_x.numpy())
    np.savez(os.path.join(work, "weights_base.npz"), **base_sd)
    np.savez(os.path.join(work, "weights_lora.npz"), **merged_sd)
    import peft
    import safetensors
    import sklearn
    info["versions"] = {"torch": torch.__version__, "peft": peft.__version__,
                        "safetensors": safetensors.__version__, "scikit_learn": sklearn.__version__}
    with open(os.path.join(work, "torch.json"), "w") as f:
        json.dump(info, f)


# -------------------------------------------------------------------- stage tflite


def tflite_structure(path):
    """Tensors, operators and buffers of subgraph 0 of a .tflite file, read with the
    flatbuffer schema; buffer byte ranges are offsets in the file."""
    from tensorflow.lite.python import schema_py_generated as fb

    data = open(path, "rb").read()
    model = fb.Model.GetRootAs(data, 0)
    sg = model.Subgraphs(0)
    op_names = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
    type_names = {v: k for k, v in vars(fb.TensorType).items() if not k.startswith("_")}
    buffers = []
    for i in range(model.BuffersLength()):
        b = model.Buffers(i)
        if b.Offset() > 1:  # data outside the flatbuffer (files over 2 GB)
            buffers.append((int(b.Offset()), int(b.Size())))
            continue
        o = b._tab.Offset(4)  # field `data`
        if o == 0:
            buffers.append((0, 0))
        else:
            buffers.append((b._tab.Vector(o), b._tab.VectorLen(o)))
    tensors = []
    for i in range(sg.TensorsLength()):
        tt = sg.Tensors(i)
        q = tt.Quantization()
        tensors.append({
            "index": i,
            "name": tt.Name().decode(),
            "shape": [int(s) for s in tt.ShapeAsNumpy()] if tt.ShapeLength() else [],
            "dtype": type_names[tt.Type()].lower(),
            "buffer": int(tt.Buffer()),
            "scales": int(q.ScaleLength()) if q else 0,
            "quantized_dimension": int(q.QuantizedDimension()) if q else 0,
        })
    ops = []
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        oc = model.OperatorCodes(op.OpcodeIndex())
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        ops.append({"op": op_names[code], "inputs": [int(v) for v in op.InputsAsNumpy()],
                    "outputs": [int(v) for v in op.OutputsAsNumpy()]})
    return {"bytes": data, "tensors": tensors, "ops": ops, "buffers": buffers}


def stage_tflite(out, work):
    import tensorflow as tf
    import keras
    from keras import layers
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    from tflite_micro.python.tflite_micro import runtime as tflm

    tf.config.experimental.enable_op_determinism()
    with open(os.path.join(work, "torch.json")) as f:
        info = json.load(f)
    d = dict(np.load(os.path.join(work, "data.npz")))
    check_x = np.load(os.path.join(work, "check_x.npy")).transpose(0, 2, 3, 1)  # NCHW -> NHWC
    rep = d["x_representative"][..., None].astype(np.float32)

    def build_keras(sd):
        """The torch model as a channels-last Keras model, in a fresh session."""
        keras.backend.clear_session()
        keras.utils.set_random_seed(SEED)
        inp = keras.Input(shape=(8, 8, 1), name="image")
        x = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(inp)
        x = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2")(x)
        x = layers.MaxPooling2D(2, name="pool")(x)
        x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv3")(x)
        x = layers.GlobalAveragePooling2D(name="gap")(x)
        logits = layers.Dense(10, name="logits")(x)
        m = keras.Model(inp, logits, name="digits_conv")
        for name in ("conv1", "conv2", "conv3"):  # OIHW -> HWIO
            m.get_layer(name).set_weights([sd[f"{name}.weight"].transpose(2, 3, 1, 0), sd[f"{name}.bias"]])
        m.get_layer("logits").set_weights([sd["logits.weight"].T, sd["logits.bias"]])  # [out,in] -> [in,out]
        assert m.count_params() == PARAMS, m.count_params()
        return m

    def convert(m):
        conv = tf.lite.TFLiteConverter.from_keras_model(m)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([rep[i:i + 1]] for i in range(len(rep)))
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
        return conv.convert()

    keras_float = {}
    paths = {}
    deterministic = {}
    for variant in ("base", "lora"):
        sd = dict(np.load(os.path.join(work, f"weights_{variant}.npz")))
        m = build_keras(sd)
        got = m.predict(check_x, verbose=0)
        want = np.array(info[f"check_logits_{variant}"], dtype=np.float32)
        err = float(np.abs(got - want).max())
        print(f"{variant}: keras vs torch float logits, max abs diff {err:.2e}")
        assert err < 1e-4, (variant, err)
        keras_float[variant] = {
            "max_abs_logit_diff_vs_torch": err,
            "acc_original_domain": float((m.predict(d["x_test_original"][..., None], verbose=0).argmax(1)
                                          == d["y_test_original"]).mean()),
            "acc_shifted_domain": float((m.predict(d["x_test_shifted"][..., None], verbose=0).argmax(1)
                                         == d["y_test_shifted"]).mean()),
        }
        blob = convert(m)
        again = convert(build_keras(sd))
        deterministic[variant] = blob == again
        assert deterministic[variant], f"{variant}: conversion not deterministic"
        paths[variant] = os.path.join(out, f"{variant}.tflite")
        with open(paths[variant], "wb") as f:
            f.write(blob)

    base_s, lora_s = tflite_structure(paths["base"]), tflite_structure(paths["lora"])
    assert len(base_s["bytes"]) == len(lora_s["bytes"]), (len(base_s["bytes"]), len(lora_s["bytes"]))
    assert base_s["tensors"] == lora_s["tensors"], "tensors differ"
    assert base_s["ops"] == lora_s["ops"], "operators differ"
    assert base_s["buffers"] == lora_s["buffers"], "buffer offsets differ"
    differing = int(np.count_nonzero(np.frombuffer(base_s["bytes"], np.uint8) != np.frombuffer(lora_s["bytes"], np.uint8)))

    # Quantization of input/output (LiteRT's view), same input quantization in both.
    quant = {}
    for variant in ("base", "lora"):
        it = Interpreter(model_path=paths[variant])
        inp, outp = it.get_input_details()[0], it.get_output_details()[0]
        assert inp["dtype"] == np.int8 and outp["dtype"] == np.int8
        quant[variant] = {"input": [float(inp["quantization"][0]), int(inp["quantization"][1])],
                          "output": [float(outp["quantization"][0]), int(outp["quantization"][1])],
                          "input_name": inp["name"]}
    assert quant["base"]["input"] == quant["lora"]["input"], quant
    in_scale, in_zp = quant["base"]["input"]

    def q_input(x):
        return np.clip(np.round(x / in_scale) + in_zp, -128, 127).astype(np.int8)[..., None]

    ev = {"x_shifted": q_input(d["x_test_shifted"]), "y_shifted": d["y_test_shifted"].astype(np.int64),
          "x_original": q_input(d["x_test_original"]), "y_original": d["y_test_original"].astype(np.int64)}
    save_npz_reproducibly(os.path.join(out, "eval.npz"), ev)

    # Tensor map: the int8 kernel of each adapted conv in base.tflite.
    tensors = base_s["tensors"]
    tensor_map = {}
    for m_name, (cout, cin) in zip(TARGETS, [(16, 8), (32, 16)]):
        convs = [op for op in base_s["ops"] if op["op"] == "CONV_2D"
                 and f"/{m_name}_1/" in tensors[op["inputs"][1]]["name"] + "/"]
        assert len(convs) == 1, (m_name, convs)
        w, b = tensors[convs[0]["inputs"][1]], tensors[convs[0]["inputs"][2]]
        assert w["shape"] == [cout, 3, 3, cin] and w["dtype"] == "int8", w
        assert w["scales"] == cout and w["quantized_dimension"] == 0, w
        assert b["shape"] == [cout] and b["dtype"] == "int32", b
        off, length = base_s["buffers"][w["buffer"]]
        assert length == cout * 9 * cin
        # the byte range really is this tensor's data
        it = Interpreter(model_path=paths["base"])
        it.allocate_tensors()
        want = it.get_tensor(w["index"])
        assert np.array_equal(np.frombuffer(base_s["bytes"][off:off + length], np.int8).reshape(w["shape"]), want)
        # and it is the torch kernel, quantized per output channel (OIHW -> OHWI)
        sd = dict(np.load(os.path.join(work, "weights_base.npz")))
        k = sd[f"{m_name}.weight"].transpose(0, 2, 3, 1)
        scales = it.get_tensor_details()[w["index"]]["quantization_parameters"]["scales"]
        requant = np.clip(np.round(k / scales[:, None, None, None]), -127, 127)
        assert np.abs(requant - want).max() <= 1, m_name
        tensor_map[f"base_model.model.{m_name}"] = {
            "tensor": w["name"], "index": w["index"], "subgraph": 0, "shape": w["shape"], "layout": "ohwi",
            "dtype": "int8", "quantized_dimension": w["quantized_dimension"], "scales": w["scales"],
            "buffer": w["buffer"], "data_offset": off, "data_length": length,
            "bias_tensor": b["name"], "bias_index": b["index"],
        }
    with open(os.path.join(out, "lora-adapter", "tensor_map.json"), "w") as f:
        json.dump(tensor_map, f, indent=2)

    # Evaluation: LiteRT and TFLM, one image at a time.
    def run_litert(path, x, reference=False):
        kw = {"experimental_op_resolver_type": OpResolverType.BUILTIN_REF} if reference else {}
        it = Interpreter(model_path=path, **kw)
        it.allocate_tensors()
        i_in, i_out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
        outs = []
        for i in range(len(x)):
            it.set_tensor(i_in, x[i:i + 1])
            it.invoke()
            outs.append(it.get_tensor(i_out)[0].copy())
        return np.array(outs)

    def run_tflm(path, x):
        it = tflm.Interpreter.from_file(path, arena_size=TFLM_ARENA)
        outs = []
        for i in range(len(x)):
            it.set_input(x[i:i + 1], 0)
            it.invoke()
            outs.append(np.array(it.get_output(0))[0].copy())
        return np.array(outs)

    results = {}
    agreement = {}
    for variant in ("base", "lora"):
        r = {}
        for dom in ("original", "shifted"):
            x, y = ev[f"x_{dom}"], ev[f"y_{dom}"]
            lo, mo = run_litert(paths[variant], x), run_tflm(paths[variant], x)
            assert lo.dtype == np.int8 and mo.dtype == np.int8
            r[f"acc_{dom}_domain"] = float((lo.argmax(1) == y).mean())
            r[f"tflm_acc_{dom}_domain"] = float((mo.argmax(1) == y).mean())
            ref = run_litert(paths[variant], x, reference=True)
            agreement[f"{variant}_{dom}"] = {
                "outputs_identical_to_litert_reference_kernels": int((ref == mo).all(axis=1).sum()),
                "outputs_identical": int((lo == mo).all(axis=1).sum()),
                "max_abs_output_diff": int(np.abs(lo.astype(int) - mo.astype(int)).max()),
                "top1_identical": int((lo.argmax(1) == mo.argmax(1)).sum()),
            }
        r["bytes"] = os.path.getsize(paths[variant])
        r["float_acc_original_domain"] = info[variant]["float_acc_original_domain"]
        r["float_acc_shifted_domain"] = info[variant]["float_acc_shifted_domain"]
        results[variant] = dict(sorted(r.items()))
    print(json.dumps(results, indent=2))
    print("LiteRT vs TFLM:", json.dumps(agreement))
    with open(os.path.join(out, "eval.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)

    # Manifest.
    import ai_edge_litert
    try:
        from importlib.metadata import version as pkg_version
        tflm_version = pkg_version("tflite-micro")
        litert_version = pkg_version("ai-edge-litert")
    except Exception:  # pragma: no cover
        tflm_version, litert_version = "unknown", getattr(ai_edge_litert, "__version__", "unknown")
    files = ["base.tflite", "lora.tflite", "eval.npz", "eval.json", "lora-adapter/adapter_model.safetensors",
             "lora-adapter/adapter_config.json", "lora-adapter/tensor_map.json", "generate.py"]
    manifest = {
        "family": "digits-conv",
        "architecture": "digits_conv",
        "framework": "PyTorch (trained; PEFT LoRA), copied into Keras for conversion",
        "params": PARAMS,
        "layers": [{"name": n, "type": ty, "params": p} for n, ty, p in LAYERS],
        "layer_details": {
            "conv1": "Conv2d(1->8, 3x3, stride 1, padding 1 = 'same') + ReLU",
            "conv2": "Conv2d(8->16, 3x3, stride 1, padding 1 = 'same') + ReLU",
            "pool": "MaxPool 2x2, stride 2 (8x8 -> 4x4)",
            "conv3": "Conv2d(16->32, 3x3, stride 1, padding 1 = 'same') + ReLU",
            "gap": "global average pooling (TFLite MEAN over H, W)",
            "logits": "Linear(32->10)",
        },
        "data": {
            "source": "sklearn.datasets.load_digits (1797 8x8 images, /16 -> [0,1])",
            "split": f"seeded permutation (numpy default_rng({SEED})): {N_TEST} test, {1797 - N_TEST} train",
            "shifted_domain": SHIFT,
            "shifted_train_copies": SHIFT_COPIES,
        },
        "input": {"name": quant["base"]["input_name"], "shape": [8, 8, 1], "dtype": "int8",
                  "scale": in_scale, "zero_point": in_zp},
        "output": {"dtype": "int8",
                   "base": {"scale": quant["base"]["output"][0], "zero_point": quant["base"]["output"][1]},
                   "lora": {"scale": quant["lora"]["output"][0], "zero_point": quant["lora"]["output"][1]}},
        "converter": {
            "optimizations": "DEFAULT",
            "supported_ops": "TFLITE_BUILTINS_INT8",
            "inference_input_type": "int8",
            "inference_output_type": "int8",
            "representative_dataset": f"{N_REP} original-domain + {N_REP} shifted-domain training samples "
                                      "(same for both variants)",
            "keras_model": "rebuilt in a fresh Keras session with a named input ('image') per variant",
        },
        "structure": {
            "same_length": True, "tensors_same": True, "operators_same": True, "buffer_offsets_same": True,
            "tensor_count": len(tensors), "operators": [op["op"] for op in base_s["ops"]],
            "bytes_differing": differing,
        },
        "eval": {
            "samples_per_domain": N_TEST,
            "keys": ["x_shifted", "y_shifted", "x_original", "y_original"],
            "note": "x_* are int8 [N,8,8,1], quantized with the input scale/zero point above (identical in both "
                    "variants); eval.json: acc_* = LiteRT (ai-edge-litert), tflm_acc_* = TFLite Micro's "
                    "Python interpreter, float_acc_* = the float torch model on the float inputs",
            "tflm_arena_size": TFLM_ARENA,
            "litert_vs_tflm": agreement,
            "litert_vs_tflm_note": "of 400 per domain: int8 outputs identical between TFLM and LiteRT's default "
                                   "(XNNPACK) and reference (BUILTIN_REF) kernels, and top-1 agreement",
        },
        "variants": {
            "base": {
                "trained": "all weights on the original domain (PyTorch, Adam, cross-entropy)",
                "epochs": BASE_EPOCHS, "lr": BASE_LR, "batch": BATCH,
                "trainable_params": info["base"]["trainable_params"],
                "conversion_deterministic": deterministic["base"],
            },
            "lora": {
                "trained": f"PEFT LoRA (LoraConfig r={RANK}, lora_alpha={ALPHA}, target_modules={TARGETS}, "
                           "lora_dropout=0) on the shifted domain, only the LoRA weights trained; "
                           "merge_and_unload, then converted",
                "epochs": LORA_EPOCHS, "lr": LORA_LR, "batch": BATCH,
                "trainable_params": info["lora"]["trainable_params"],
                "conversion_deterministic": deterministic["lora"],
            },
        },
        "lora": {
            "r": RANK, "lora_alpha": ALPHA, "scaling": ALPHA / RANK, "target_modules": TARGETS,
            "factor_shapes": info["lora_factor_shapes"],
            "factor_values": info["lora_factor_values"],
            "formula": "W[o,i,kh,kw] += lora_alpha/r * sum_r lora_B[o,r,0,0] * lora_A[r,i,kh,kw] (torch OIHW); "
                       "in base.tflite the kernel is stored OHWI: [o,kh,kw,i]",
        },
        "lora_verification": info["lora_verification"],
        "keras_float_check": keras_float,
        "seed": SEED,
        "sha256": {name: sha256(os.path.join(out, name)) for name in files},
        "versions": dict(info["versions"], tensorflow=tf.__version__, keras=keras.__version__,
                         ai_edge_litert=litert_version, tflite_micro=tflm_version, numpy=np.__version__,
                         python=sys.version.split()[0]),
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


# --------------------------------------------------------------------------- main


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=here, help="output directory (default: this script's directory)")
    ap.add_argument("--stage", choices=["torch", "tflite"], help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    if args.stage == "torch":
        return stage_torch(out, args.work)
    if args.stage == "tflite":
        return stage_tflite(out, args.work)
    if os.path.abspath(out) != here and os.path.exists(os.path.join(here, "generate.py")):
        shutil.copyfile(os.path.join(here, "generate.py"), os.path.join(out, "generate.py"))
    t0 = time.time()
    work = tempfile.mkdtemp(prefix="digits-conv-")
    try:
        for stage in ("torch", "tflite"):
            subprocess.run([sys.executable, os.path.abspath(__file__), "--stage", stage, "--work", work,
                            "--out", out], check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"done in {time.time() - t0:.1f} s; wrote {out}")


if __name__ == "__main__":
    main()
