#!/usr/bin/env python3
"""The models of bench/compare in PyTorch, timed like tapeflow_bench.

  models/lenet5_keras.pbtxt  conv 20@5x5 same + ReLU -> max pool 2 ->
                             conv 50@5x5 same + ReLU -> max pool 2 -> flatten ->
                             linear 500 + ReLU -> linear 10 -> softmax CE
  models/lenet5.pbtxt        conv 6@5x5 -> avg pool 2 * (4 * coef) + bias ->
                             sigmoid -> conv 16@5x5 -> the same subsampling ->
                             conv 120@5x5 -> linear 84 -> 1.7159 tanh(2/3 x) ->
                             linear 10 -> softmax CE
  models/vgg_cifar.pbtxt     3 stages of 2x (conv 3x3 same, no bias ->
                             batch norm -> ReLU) -> max pool 2, channels
                             32/64/128, on 3x32x32 -> linear 384 + tanh ->
                             linear 10 -> softmax CE

Same shapes (NCHW, weights [out, in, kh, kw]), same ops, same initialisation,
SGD with momentum 0.9 and learning rate 0.01, synthetic data (uniform random
images, random labels), fixed seed. --memory-format channels_last stores the
images and convolution weights NHWC (the logical shapes stay NCHW), which
PyTorch recommends for oneDNN convolutions on the CPU.

Measurements, each after a warm-up, as the median of several timed windows
(a window runs whole calls until it has lasted --window-seconds):
  train    images/s of forward + loss + backward + optimizer step (batch 64)
  infer    images/s of a forward pass under torch.inference_mode (batch 256)
  latency  ms per batch-1 forward pass under torch.inference_mode
  scaling  with --scaling-batches B1,B2,...: ms per training step at each
           batch size (one window each)

With --iterations N the script runs only one workload (--only) N times after
its warm-up and prints nothing: bench/compare/run.sh runs it like that under
/usr/bin/time to read the peak resident set size of a fresh process, import
torch included.

The parameter shapes and initialisers are read from the graph files, and
the script stops if a trainable parameter of the file has no counterpart of
the same shape in the PyTorch model (or the other way round), so an edit of
models/*.pbtxt cannot silently make the two sides differ.

Needs Debian's python3-torch (run it with /usr/bin/python3). Prints which
BLAS library the process loaded and which backend runs the convolutions.
bench/compare/compare.py also sets OPENBLAS_CORETYPE and ATEN_CPU_CAPABILITY
when OpenBLAS or ATen detect less of the CPU than /proc/cpuinfo lists.
"""

import argparse
import json
import math
import os
import re
import statistics
import sys
import time

MODELS = ("lenet5_keras", "lenet5", "vgg_cifar")
MODEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models")
WORKLOADS = ("train", "infer", "latency")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2,
                   help="torch.set_num_threads and OMP_NUM_THREADS (default 2)")
    p.add_argument("--models", default=",".join(MODELS),
                   help="comma-separated subset of " + ", ".join(MODELS))
    p.add_argument("--only", choices=WORKLOADS,
                   help="run one workload (default: all three)")
    p.add_argument("--memory-format", choices=("nchw", "channels_last"), default="nchw",
                   help="layout of the images and of the convolution weights")
    p.add_argument("--train-batch", type=int, default=64)
    p.add_argument("--infer-batch", type=int, default=256)
    p.add_argument("--windows", type=int, default=5,
                   help="timed windows per measurement; the median is reported")
    p.add_argument("--window-seconds", type=float, default=1.0)
    p.add_argument("--warmup-seconds", type=float, default=1.0)
    p.add_argument("--scaling-batches", default="",
                   help="comma-separated training batch sizes: time only these steps")
    p.add_argument("--iterations", type=int, default=0,
                   help="memory probe: run --only N times after warm-up, no timing")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    a = p.parse_args()
    a.models = [m for m in a.models.split(",") if m]
    a.scaling_batches = [int(b) for b in a.scaling_batches.split(",") if b]
    for m in a.models:
        if m not in MODELS:
            p.error(f"unknown model '{m}'; known: {', '.join(MODELS)}")
    if a.iterations and (not a.only or len(a.models) != 1):
        p.error("--iterations needs --only and exactly one model in --models")
    if a.windows < 1 or a.threads < 1:
        p.error("--windows and --threads must be at least 1")
    return a


ARGS = parse_args()
# Before torch loads: OpenMP (shared by PyTorch, oneDNN and OpenBLAS-openmp)
# sizes its pool from this.
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402


def graph_params(name):
    """Trainable parameters of models/<name>.pbtxt: {name: (shape, kind, fan_in)}.

    Reads the one-line `param { ... }` entries of the graph files; constants
    (the 4 of the subsampling layers) are skipped.
    """
    path = os.path.join(MODEL_DIR, name + ".pbtxt")
    params = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line.startswith("param"):
                continue
            pname = re.search(r'name:\s*"([^"]+)"', line)
            shape = re.search(r"shape:\s*\[([^\]]*)\]", line)
            if not pname or not shape:
                sys.exit(f"torch_lenet: {path}:{n}: cannot read this param line")
            if re.search(r"constant:\s*true", line):
                continue
            kind = re.search(r'kind:\s*"([^"]+)"', line)
            fan_in = re.search(r"fan_in:\s*(\d+)", line)
            params[pname.group(1)] = (
                tuple(int(d) for d in shape.group(1).split(",")),
                kind.group(1) if kind else "zeros",
                int(fan_in.group(1)) if fan_in else 0)
    return params


def fans(shape):
    """tapeflow's fans (core/param_store.cpp): [out, in, k...] -> in*k, out*k."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def init_(t, kind, fan_in_override):
    """tapeflow's initialisers of the kinds the LeNet files use."""
    fan_in, fan_out = fans(tuple(t.shape))
    if fan_in_override:
        fan_in = fan_in_override
    with torch.no_grad():
        if kind == "zeros":
            t.zero_()
        elif kind == "ones":
            t.fill_(1.0)
        elif kind in ("xavier_uniform", "glorot_uniform"):
            a = math.sqrt(6.0 / (fan_in + fan_out))
            t.uniform_(-a, a)
        elif kind in ("he_uniform", "kaiming_uniform"):
            a = math.sqrt(6.0 / fan_in)
            t.uniform_(-a, a)
        elif kind == "lecun_uniform":
            a = 2.4 / fan_in
            t.uniform_(-a, a)
        else:
            sys.exit(f"torch_lenet: initialiser '{kind}' is not implemented here")


def graph_names(model):
    """The model's parameters under the graph file's names: a Conv2d or Linear
    called `conv1` has conv1.w and conv1.b; other parameters keep their
    PyTorch name (s2.coef, s2.bias)."""
    out = {}
    for prefix, module in model.named_modules():
        for pname, param in module.named_parameters(recurse=False):
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                pname = {"weight": "w", "bias": "b"}[pname]
            elif isinstance(module, nn.BatchNorm2d):
                pname = {"weight": "scale", "bias": "shift"}[pname]
            out[f"{prefix}.{pname}"] = param
    return out


def match_graph(model, name):
    """Checks every shape against the graph file and initialises as it says."""
    want = graph_params(name)
    have = graph_names(model)
    if set(want) != set(have):
        sys.exit(f"torch_lenet: {name}: parameters differ from the graph file: "
                 f"only in the file {sorted(set(want) - set(have))}, "
                 f"only in PyTorch {sorted(set(have) - set(want))}")
    for pname, (shape, kind, fan_in) in want.items():
        if tuple(have[pname].shape) != shape:
            sys.exit(f"torch_lenet: {name}: {pname} is {list(have[pname].shape)} "
                     f"in PyTorch, {list(shape)} in the graph file")
        init_(have[pname], kind, fan_in)


class LeNet5Keras(nn.Module):
    """models/lenet5_keras.pbtxt; 1,631,080 parameters."""

    PARAMS = 1_631_080

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5, padding=2)    # SAME for 5x5, stride 1
        self.conv2 = nn.Conv2d(20, 50, 5, padding=2)
        self.dense1 = nn.Linear(3200, 500)
        self.dense2 = nn.Linear(500, 10)

    def forward(self, image):
        x = F.max_pool2d(F.relu(self.conv1(image)), 2)   # [N,20,16,16]
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)       # [N,50,8,8]
        x = torch.flatten(x, 1)                          # [N,3200]
        x = F.relu(self.dense1(x))
        return self.dense2(x)                            # logits [N,10]


class Subsampling(nn.Module):
    """S2/S4: 2x2 average pool * (coef * 4) + bias, then sigmoid.

    One trainable coefficient and one trainable bias per map, shaped
    [1, C, 1, 1]; the constant 4 turns the average into a sum, multiplied
    into the coefficient as in the graph file.
    """

    def __init__(self, channels):
        super().__init__()
        self.coef = nn.Parameter(torch.empty(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.empty(1, channels, 1, 1))
        self.register_buffer("four", torch.tensor([4.0]))

    def forward(self, x):
        return torch.sigmoid(F.avg_pool2d(x, 2) * (self.coef * self.four) + self.bias)


class LeNet5(nn.Module):
    """models/lenet5.pbtxt (LeCun et al. 1998, C3 fully connected); 61,750 parameters."""

    PARAMS = 61_750

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)          # [N,6,28,28]
        self.s2 = Subsampling(6)              # [N,6,14,14]
        self.c3 = nn.Conv2d(6, 16, 5)         # [N,16,10,10]
        self.s4 = Subsampling(16)             # [N,16,5,5]
        self.c5 = nn.Conv2d(16, 120, 5)       # [N,120,1,1]
        self.f6 = nn.Linear(120, 84)
        self.out = nn.Linear(84, 10)

    def forward(self, image):
        x = self.s2(self.c1(image))
        x = self.s4(self.c3(x))
        x = torch.flatten(self.c5(x), 1)      # Linear takes [N,120,1,1] as [N,120]
        x = 1.7159 * torch.tanh(0.6666667 * self.f6(x))   # ScaledTanh
        return self.out(x)


class VggCifar(nn.Module):
    """models/vgg_cifar.pbtxt; 1,078,122 parameters."""

    PARAMS = 1_078_122
    CHANNELS = ((3, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128))

    def __init__(self):
        super().__init__()
        for i, (cin, cout) in enumerate(self.CHANNELS, 1):
            setattr(self, f"conv{i}", nn.Conv2d(cin, cout, 3, padding=1, bias=False))
            setattr(self, f"bn{i}", nn.BatchNorm2d(cout))
        self.dense1 = nn.Linear(2048, 384)
        self.dense2 = nn.Linear(384, 10)

    def forward(self, image):
        x = image
        for i in range(1, 7):
            x = F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)))
            if i % 2 == 0:
                x = F.max_pool2d(x, 2)                   # 16, 8, 4
        x = torch.tanh(self.dense1(torch.flatten(x, 1)))  # [N,2048] -> 384
        return self.dense2(x)


INPUT_CHANNELS = {"lenet5_keras": 1, "lenet5": 1, "vgg_cifar": 3}


def memory_format():
    return {"nchw": torch.contiguous_format,
            "channels_last": torch.channels_last}[ARGS.memory_format]


def build(name):
    torch.manual_seed(0)
    model = {"lenet5_keras": LeNet5Keras, "lenet5": LeNet5, "vgg_cifar": VggCifar}[name]()
    match_graph(model, name)
    n = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if n != model.PARAMS:
        sys.exit(f"torch_lenet: {name} has {n} parameters, expected {model.PARAMS}")
    model.channels = INPUT_CHANNELS[name]
    return model.to(memory_format=memory_format())


def synthetic_batch(batch, channels):
    g = torch.Generator().manual_seed(1)
    images = torch.rand(batch, channels, 32, 32, generator=g)
    labels = torch.randint(0, 10, (batch,), generator=g)
    return images.contiguous(memory_format=memory_format()), labels


def train_step_fn(model, batch):
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images, labels = synthetic_batch(batch, model.channels)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), labels)
        loss.item()         # read back, as tapeflow's trainer and bench do
        loss.backward()
        opt.step()
    return step


def inference_fn(model, batch):
    model.eval()
    images, _ = synthetic_batch(batch, model.channels)

    def forward():
        with torch.inference_mode():
            model(images)
    return forward


def make(workload, model):
    if workload == "train":
        return train_step_fn(model, ARGS.train_batch), ARGS.train_batch
    if workload == "infer":
        return inference_fn(model, ARGS.infer_batch), ARGS.infer_batch
    return inference_fn(model, 1), 1


def warm_up(fn, min_calls=5):
    end = time.perf_counter() + ARGS.warmup_seconds
    n = 0
    while n < min_calls or time.perf_counter() < end:
        fn()
        n += 1


def timed_windows(fn):
    """Seconds per call, one value per window."""
    per_call = []
    for _ in range(ARGS.windows):
        n = 0
        t0 = time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= ARGS.window_seconds:
                break
        per_call.append(elapsed / n)
    return per_call


def blas_info():
    """The BLAS shared object this process loaded, and OpenBLAS's own config."""
    a = torch.rand(64, 64)
    torch.mm(a, a)          # make sure the BLAS library is loaded
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            base = os.path.basename(path)
            if "blas" in base.lower() or base.startswith("libmkl"):
                libs.add(os.path.realpath(path))
    info = {"loaded": sorted(libs), "config": ""}
    for lib in info["loaded"]:
        try:
            import ctypes
            handle = ctypes.CDLL(lib)
            handle.openblas_get_config.restype = ctypes.c_char_p
            info["config"] = handle.openblas_get_config().decode()
            handle.openblas_get_corename.restype = ctypes.c_char_p
            info["config"] += " core=" + handle.openblas_get_corename().decode()
            handle.openblas_get_num_threads.restype = ctypes.c_int
            info["config"] += f" threads={handle.openblas_get_num_threads()}"
        except (OSError, AttributeError):
            pass
    if info["config"]:
        info["name"] = "OpenBLAS"
    elif any("/blas/" in lib for lib in info["loaded"]):
        info["name"] = "reference BLAS (netlib)"
    elif info["loaded"]:
        info["name"] = "other: " + ", ".join(info["loaded"])
    else:
        info["name"] = "none loaded"
    return info


def cpu_capability():
    """The ISA ATen's own kernels dispatch to (ATEN_CPU_CAPABILITY overrides)."""
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"


def conv_backends():
    """aten ops that ran the convolutions: one training step and one batch-1 forward."""
    seen = {}
    for name in ARGS.models:
        for workload in ("train", "latency"):
            fn, _ = make(workload, build(name))
            fn()
            with torch.autograd.profiler.profile() as prof:
                fn()
            convs = sorted({e.name for e in prof.function_events
                            if "convolution" in e.name and e.name.startswith("aten::")
                            and e.name not in ("aten::convolution", "aten::_convolution",
                                               "aten::convolution_backward")})
            seen[f"{name}/{workload}"] = convs
    return seen


def main():
    torch.set_num_threads(ARGS.threads)
    if ARGS.iterations:
        fn, _ = make(ARGS.only, build(ARGS.models[0]))
        warm_up(fn)
        for _ in range(ARGS.iterations):
            fn()
        return

    env = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "memory_format": ARGS.memory_format,
        "mkldnn_available": torch.backends.mkldnn.is_available(),
        "mkldnn_enabled": torch.backends.mkldnn.enabled,
        "cpu_capability": cpu_capability(),
        "blas": blas_info(),
        "conv_ops": conv_backends(),
    }
    results = {}
    if ARGS.scaling_batches:
        for name in ARGS.models:
            results[name] = {}
            for batch in ARGS.scaling_batches:
                fn = train_step_fn(build(name), batch)
                warm_up(fn, min_calls=2)
                per_call = timed_windows(fn)
                results[name][f"train{batch}"] = {
                    "batch": batch, "seconds_per_call": per_call,
                    "ms_per_call": statistics.median(per_call) * 1e3}
        json.dump({"env": env, "results": results}, sys.stdout, indent=1)
        print()
        return
    for name in ARGS.models:
        results[name] = {}
        for workload in ([ARGS.only] if ARGS.only else WORKLOADS):
            fn, batch = make(workload, build(name))
            warm_up(fn)
            per_call = timed_windows(fn)
            med = statistics.median(per_call)
            results[name][workload] = {
                "batch": batch,
                "seconds_per_call": per_call,
                "images_per_second": batch / med,
                "ms_per_call": med * 1e3,
            }
    if ARGS.json:
        json.dump({"env": env, "results": results}, sys.stdout, indent=1)
        print()
        return
    b = env["blas"]
    print(f"PyTorch {env['torch']}, {env['threads']} threads, {env['memory_format']}, CPU capability "
          f"{env['cpu_capability']}, mkldnn available={env['mkldnn_available']} "
          f"enabled={env['mkldnn_enabled']}")
    print(f"BLAS: {b['name']} ({', '.join(b['loaded']) or '-'}) {b['config']}".rstrip())
    for key, ops in env["conv_ops"].items():
        print(f"conv ops in {key}: {', '.join(ops) or '-'}")
    for name, per in results.items():
        for workload, r in per.items():
            print(f"{name:13s} {workload:8s} batch {r['batch']:3d}: "
                  f"{r['images_per_second']:10.1f} images/s  {r['ms_per_call']:8.3f} ms/call")


if __name__ == "__main__":
    main()
