#!/usr/bin/env python3
"""Concat and pooling in tapeflow and PyTorch at the shapes of models/, and
the training step of inception_mnist, measured in alternation.

For every graph in models/ with a Concat, MaxPool, AvgPool or
GlobalAveragePool node, each round runs, per thread count:
  tapeflow  `tapeflow profile MODEL --batch 64 --threads T --peak-size 0`:
            the node's fwd ms + bwd ms (its inputs in the layouts the model
            hands over; "-" for a node that needs no backward), and the
            uninstrumented median step of the whole model;
  PyTorch   the same op at the same shapes (torch.cat, F.max_pool2d,
            F.avg_pool2d, F.adaptive_avg_pool2d) forward, then
            torch.autograd.grad of a random upstream gradient when tapeflow
            runs a backward for the node, on the same hot tensors call
            after call ("alone"); the better of NCHW and channels_last
            tensors; and the same op inside PyTorch's training step of the
            same graph ("in step": same layers and shapes, SGD with
            momentum 0.9, lr 0.01, random inputs; torch.profiler's
            forward and backward events of the op whose image has the
            node's shape, the better of the two memory formats), so that
            both read what the layers before them left in cache, as
            tapeflow's rows do. For Concat the in-step figure is the sum
            over the model's Concats (aten::cat and CatBackward0), against
            the sum of tapeflow's Concat rows. For inception_mnist also the
            whole training step. PyTorch's in-step figures include the
            profiler's own cost per event (a few microseconds); a padding
            copy PyTorch makes before a pooling with uneven pads is not
            counted.
Each figure is the median over the rounds; the ratio is tapeflow's time
over PyTorch's (below 1: tapeflow is faster). The 1-minute load average is
printed with every round: the machine may be shared.

  /usr/bin/python3 bench/compare/torch_ops.py [--tapeflow build/tools/tapeflow]
      [--rounds 3] [--threads 1,2] [--steps 30] [--window-seconds 0.3]

Needs Debian's python3-torch (run it with /usr/bin/python3).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OPS = ("Concat", "MaxPool", "AvgPool", "GlobalAveragePool")
STEP_MODELS = ("inception_mnist",)
BATCH = 64


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


# ATen picks its kernels' ISA at import; on the VMs here it detects AVX2 on
# AVX-512 CPUs (see bench/compare/compare.py).
if "ATEN_CPU_CAPABILITY" not in os.environ and \
        {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= cpu_flags():
    os.environ["ATEN_CPU_CAPABILITY"] = "avx512"
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


# ------------------------------------------------------------ graph files
def tokens(text):
    text = re.sub(r"#[^\n]*", "", text)
    return re.findall(r'"[^"]*"|[\w.+-]+|[{}\[\]:,]', text)


def parse_message(toks, i):
    """Text proto message from toks[i] up to a closing brace: field -> list."""
    out = {}
    while i < len(toks) and toks[i] != "}":
        key = toks[i]
        i += 1
        if toks[i] == ":":
            i += 1
        if toks[i] == "{":
            val, i = parse_message(toks, i + 1)
            i += 1
            out.setdefault(key, []).append(val)
        elif toks[i] == "[":
            i += 1
            while toks[i] != "]":
                if toks[i] != ",":
                    out.setdefault(key, []).append(scalar(toks[i]))
                i += 1
            i += 1
        else:
            out.setdefault(key, []).append(scalar(toks[i]))
            i += 1
    return out, i


def scalar(tok):
    if tok.startswith('"'):
        return tok[1:-1]
    try:
        return int(tok)
    except ValueError:
        try:
            return float(tok)
        except ValueError:
            return tok


def load_graph(path):
    with open(path) as f:
        g, _ = parse_message(tokens(f.read()), 0)
    return g


def attrs_of(node):
    out = {}
    for a in node.get("attr", []):
        for k in ("i", "f", "s", "ints", "floats"):
            if k in a:
                out[a["name"][0]] = a[k] if k in ("ints", "floats") else a[k][0]
    return out


def value_shapes(tapeflow, path, graph):
    """Value name -> dims at BATCH, from `tapeflow summary`."""
    text = subprocess.run([tapeflow, "summary", path], check=True,
                          capture_output=True, text=True).stdout
    by_node = {}
    for m in re.finditer(r"^(\S+) \((\w+)\)\s+\[([^\]]*)\]", text, re.M):
        by_node[m.group(1)] = [BATCH if d == "N" else int(d) for d in m.group(3).split(",") if d]
    shapes = {i["name"][0]: [BATCH if d < 0 else d for d in i["shape"]]
              for i in graph.get("input", [])}
    for p in graph.get("param", []):
        shapes[p["name"][0]] = list(p.get("shape", []))
    for n in graph["node"]:
        if n["name"][0] in by_node:
            shapes[n["output"][0]] = by_node[n["name"][0]]
    return shapes


def same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def window(node, x, k=None):
    a = attrs_of(node)
    k = k or a.get("kernel", [1, 1])
    s = a.get("stride", k if node["op"][0] != "Conv2D" else [1, 1])
    pads = [(0, 0), (0, 0)]
    if a.get("padding", "VALID") == "SAME":
        pads = [same_pads(x.shape[2 + d], k[d], s[d]) for d in range(2)]
    elif a.get("padding") == "EXPLICIT":
        p = a["pads"]
        pads = [(p[0], p[2]), (p[1], p[3])]
    return k, s, pads


def pad_call(x, pads, fn, fill=0.0):
    """fn(x, symmetric padding), padding x first when pads are uneven."""
    if pads[0][0] == pads[0][1] and pads[1][0] == pads[1][1]:
        return fn(x, (pads[0][0], pads[1][0]))
    x = F.pad(x, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]), value=fill)
    return fn(x, (0, 0))


def run_node(node, xs):
    op = node["op"][0]
    if op == "Concat":
        return torch.cat(xs, attrs_of(node).get("axis", 1))
    if op == "GlobalAveragePool":
        return F.adaptive_avg_pool2d(xs[0], 1)
    if op == "Relu":
        return F.relu(xs[0])
    if op == "Tanh":
        return torch.tanh(xs[0])
    if op == "Sigmoid":
        return torch.sigmoid(xs[0])
    if op == "ScaledTanh":
        a = attrs_of(node)
        return a.get("a", 1.7159) * torch.tanh(a.get("s", 2.0 / 3.0) * xs[0])
    if op == "Add":
        return xs[0] + xs[1]
    if op == "Mul":
        return xs[0] * xs[1]
    if op == "BatchNorm":  # training mode, running statistics updated
        x, scale, shift, mean, var = xs
        return F.batch_norm(x, mean, var, scale, shift, training=True)
    if op == "Flatten":
        return xs[0].flatten(1)
    if op == "Linear":
        return F.linear(xs[0].flatten(1), *xs[1:])
    if op == "SoftmaxCrossEntropy":
        return F.cross_entropy(xs[0], xs[1].long())
    k, s, pads = window(node, xs[0], list(xs[1].shape[2:]) if op == "Conv2D" else None)
    if op == "MaxPool":
        return pad_call(xs[0], pads, lambda x, p: F.max_pool2d(x, k, s, p),
                        float("-inf"))
    if op == "AvgPool":
        return pad_call(xs[0], pads, lambda x, p: F.avg_pool2d(x, k, s, p))
    if op == "Conv2D":
        return pad_call(xs[0], pads,
                        lambda x, p: F.conv2d(x, xs[1], xs[2] if len(xs) > 2 else None, s, p))
    raise SystemExit(f"torch_ops: no PyTorch counterpart for op {op}")


# ------------------------------------------------------------ timing
def median_call_ms(fn, seconds):
    fn()
    times = []
    for _ in range(3):
        n, start = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / 3:
                break
        times.append(elapsed / n * 1e3)
    return statistics.median(times)


def fmt(t):
    return lambda x: x.contiguous(memory_format=torch.channels_last) \
        if t == "channels_last" and x.dim() == 4 else x


def torch_op_ms(node, shapes, backward, seconds):
    best = None
    for memfmt in ("nchw", "channels_last"):
        conv = fmt(memfmt)
        xs = [conv(torch.randn(shapes[v])).requires_grad_(backward)
              for v in node["input"]]
        y = run_node(node, xs)
        g = conv(torch.randn(y.shape))

        def call():
            out = run_node(node, xs)
            if backward:
                torch.autograd.grad(out, xs, g)
        t = median_call_ms(call, seconds)
        best = t if best is None else min(best, t)
    return best


def torch_train_step(graph, shapes, memfmt):
    """The graph's training step in PyTorch (SGD with momentum 0.9, lr 0.01,
    random inputs) with tensors in memfmt."""
    conv = fmt(memfmt)
    params = {}
    for p in graph["param"]:
        t = torch.tensor(p["data"], dtype=torch.float32).reshape(p["shape"]) if "data" in p \
            else conv(torch.randn(p["shape"]) * 0.1)
        params[p["name"][0]] = t if p.get("constant", ["false"])[0] == "true" \
            else t.requires_grad_(True)
    opt = torch.optim.SGD([t for t in params.values() if t.requires_grad], lr=0.01,
                          momentum=0.9)
    feeds = {}
    for i in graph["input"]:
        name = i["name"][0]
        feeds[name] = torch.randint(0, 10, shapes[name]) \
            if i.get("dtype", ["F32"])[0] == "I32" else conv(torch.rand(shapes[name]))

    def step():
        vals = dict(feeds)
        vals.update(params)
        for n in graph["node"]:
            if all(v in vals for v in n["input"]) and n["op"][0] != "Accuracy":
                vals[n["output"][0]] = run_node(n, [vals[v] for v in n["input"]])
        opt.zero_grad(set_to_none=True)
        loss = vals[graph["loss"][0]]
        loss.backward()
        opt.step()
        loss.item()
    return step


def torch_step_ms(graph, shapes, seconds):
    return min(median_call_ms(torch_train_step(graph, shapes, f), seconds * 3)
               for f in ("nchw", "channels_last"))


def torch_step_events(graph, shapes, memfmt, steps):
    """torch.profiler's events of `steps` training steps of the graph,
    grouped by name and input shapes, so that an op is timed inside the
    step: its copies read what the layers before it left in cache, as
    tapeflow's profile rows do."""
    from torch.profiler import profile, ProfilerActivity
    step = torch_train_step(graph, shapes, memfmt)
    for _ in range(3):
        step()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(steps):
            step()
    return prof.key_averages(group_by_input_shape=True)


def instep_concat_ms(events, steps):
    """torch.cat's forward and backward (aten::cat, CatBackward0, with their
    children) per step."""
    us = sum(e.cpu_time_total for e in events if e.key in ("aten::cat", "CatBackward0"))
    return us / 1e3 / steps


# Pooling ops inside the step: (forward op, its input index holding the
# image), (backward op, the same); the image shape tells the nodes apart.
POOL_EVENTS = {"MaxPool": (("aten::max_pool2d", 0), ("aten::max_pool2d_with_indices_backward", 1)),
               "AvgPool": (("aten::avg_pool2d", 0), ("aten::avg_pool2d_backward", 1))}


def instep_pool_ms(events, steps, graph, shapes):
    """Node name -> forward + backward ms per step of each MaxPool/AvgPool
    node, from the events of its op whose image has the node's input shape
    (after PyTorch's own padding copy, which is not counted); nodes of one
    op and shape share their total."""
    keyed = {}
    for n in graph["node"]:
        op = n["op"][0]
        if op not in POOL_EVENTS:
            continue
        x = torch.empty(shapes[n["input"][0]])
        _, _, pads = window(n, x)
        if pads[0][0] != pads[0][1] or pads[1][0] != pads[1][1]:
            x = F.pad(x, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
        keyed.setdefault((op, tuple(x.shape)), []).append(n["name"][0])
    out = {}
    for (op, shape), names in keyed.items():
        us = 0.0
        for key, index in POOL_EVENTS[op]:
            us += sum(e.cpu_time_total for e in events if e.key == key
                      and len(e.input_shapes) > index
                      and tuple(e.input_shapes[index]) == shape)
        for name in names:
            out[name] = us / 1e3 / steps / len(names)
    return out


def tapeflow_profile(tapeflow, path, threads, steps):
    text = subprocess.run(
        [tapeflow, "profile", path, "--batch", str(BATCH), "--threads", str(threads),
         "--steps", str(steps), "--warmup", "5", "--peak-size", "0"],
        check=True, capture_output=True, text=True).stdout
    rows = {}
    for m in re.finditer(r"^(\S+)\s+(\w+)\s+([\d.]+)\s+([\d.]+|-)\s", text, re.M):
        rows[m.group(1)] = (float(m.group(3)), None if m.group(4) == "-" else float(m.group(4)))
    step = re.search(r"total \(uninstrumented\).*median ([\d.]+) ms", text)
    reorders = re.search(r"(\d+) reorders per step", text)
    return rows, float(step.group(1)), int(reorders.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tapeflow", default=os.path.join(ROOT, "build", "tools", "tapeflow"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--window-seconds", type=float, default=0.3)
    args = ap.parse_args()
    models = []
    for f in sorted(os.listdir(os.path.join(ROOT, "models"))):
        if f.endswith(".pbtxt") and ".solver." not in f:
            path = os.path.join(ROOT, "models", f)
            g = load_graph(path)
            nodes = [n for n in g["node"] if n["op"][0] in OPS]
            if nodes:
                models.append((f[:-6], path, g, nodes, value_shapes(args.tapeflow, path, g)))
    threads = [int(t) for t in args.threads.split(",")]
    ours, theirs, steps, loads, reorders, instep, poolstep = {}, {}, {}, [], {}, {}, {}
    for r in range(args.rounds):
        for t in threads:
            torch.set_num_threads(t)
            for name, path, g, nodes, shapes in models:
                loads.append(os.getloadavg()[0])
                rows, step, reo = tapeflow_profile(args.tapeflow, path, t, args.steps)
                reorders[name] = reo
                for n in nodes:
                    fwd, bwd = rows[n["name"][0]]
                    key = (name, n["name"][0], n["op"][0], t)
                    ours.setdefault(key, []).append(fwd + (bwd or 0))
                    theirs.setdefault(key, []).append(
                        torch_op_ms(n, shapes, bwd is not None, args.window_seconds))
                events = {f: torch_step_events(g, shapes, f, args.steps)
                          for f in ("nchw", "channels_last")}
                pools = [instep_pool_ms(e, args.steps, g, shapes) for e in events.values()]
                for n in nodes:
                    if n["op"][0] in POOL_EVENTS:
                        key = (name, n["name"][0], n["op"][0], t)
                        poolstep.setdefault(key, []).append(min(p[n["name"][0]] for p in pools))
                if name in STEP_MODELS:
                    steps.setdefault((name, t), [[], []])[0].append(step)
                    steps[(name, t)][1].append(torch_step_ms(g, shapes, args.window_seconds))
                cats = [n["name"][0] for n in nodes if n["op"][0] == "Concat"]
                if cats:
                    instep.setdefault((name, t), [[], []])[0].append(
                        sum(sum(x or 0 for x in rows[c]) for c in cats))
                    instep[(name, t)][1].append(
                        min(instep_concat_ms(e, args.steps) for e in events.values()))
            print(f"round {r + 1}/{args.rounds}, {t} thread(s) done; load {loads[-1]:.2f}",
                  file=sys.stderr)
    print(f"torch {torch.__version__}, ATEN_CPU_CAPABILITY="
          f"{os.environ.get('ATEN_CPU_CAPABILITY', '(auto)')}, batch {BATCH}, "
          f"{args.rounds} rounds, 1-minute load {min(loads):.1f} to {max(loads):.1f}")
    print("\n| model | node | op | threads | tapeflow fwd+bwd ms | PyTorch ms alone | ratio "
          "| PyTorch ms in step | ratio in step |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for key in ours:
        a, b = statistics.median(ours[key]), statistics.median(theirs[key])
        c = statistics.median(poolstep[key]) if key in poolstep else None
        inner = f"{c:.3f} | {a / c:.2f}" if c else "- | -"
        print(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {a:.3f} | {b:.3f} | {a / b:.2f} "
              f"| {inner} |")
    print("\n| model | threads | tapeflow step ms | PyTorch step ms | ratio | reorders/step |")
    print("|---|---:|---:|---:|---:|---:|")
    for (name, t), (a, b) in steps.items():
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"| {name} | {t} | {ma:.2f} | {mb:.2f} | {ma / mb:.2f} | {reorders[name]} |")
    if instep:
        print("\nConcat inside the training step, all Concat nodes of the model per step"
              "\n(tapeflow: the profile's fwd+bwd rows; PyTorch: torch.profiler's aten::cat"
              "\nand CatBackward0 in the same graph's step, the better memory format):")
        print("\n| model | threads | tapeflow Concat ms/step | PyTorch Concat ms/step | ratio |")
        print("|---|---:|---:|---:|---:|")
        for (name, t), (a, b) in instep.items():
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"| {name} | {t} | {ma:.3f} | {mb:.3f} | {ma / mb:.2f} |")


if __name__ == "__main__":
    main()
