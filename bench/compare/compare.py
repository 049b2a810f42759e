#!/usr/bin/env python3
"""Runs tapeflow_bench, torch_lenet.py and ort_bench.js in alternation and
prints a table.

Started by bench/compare/run.sh (which installs PyTorch, selects OpenBLAS and
builds the bench first); only the Python standard library is used here.

Each round runs, for each model: the tapeflow timings, then PyTorch's with
NCHW tensors, then PyTorch's with channels_last tensors, then ONNX Runtime's
inference timings (batch 1 and --infer batch) on the model as `tapeflow
export` writes it (ort_bench.js: CPU, --threads intra-op threads, all graph
optimisations); then the peak memory runs. PyTorch's figure for a metric in a
round is the better of its two memory formats. Without node, onnxruntime-node
(tests/onnx/install-ort.sh) or an ONNX-enabled tapeflow CLI, the ONNX Runtime
column says why it is empty.

With 2 threads on a small machine, any other busy process distorts the
timings badly (OpenMP threads wait for a descheduled peer), so each timing run
("segment") starts only once other processes have used less than --quiet-cpus
CPUs for 2 s, and a segment during which other processes (or the hypervisor:
steal time) used more than --max-foreign-cpus CPUs on average is run again,
up to --retries times; the report counts the re-runs and flags segments that
never ran clean.

Every figure in the table is the median over the rounds of a per-round
median:
  - training images/s (batch 64) and inference images/s (batch 256): batch
    divided by the median wall-clock time of one call (tapeflow: the median
    aggregate of --benchmark_repetitions; PyTorch: the median of its timed
    windows);
  - batch-1 latency: the same median time per call, in ms;
  - peak memory: maximum resident set size (GNU time's %M) of a fresh process
    that runs only the batch-64 training workload, library loading (import
    torch) included.

After the rounds, one scaling run per side and model times a training step
at each batch of SCALING_BATCHES (one window of --scaling-seconds each;
PyTorch in the memory format that won its training metric).
"""

import argparse
import datetime
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TORCH_SCRIPT = os.path.join(HERE, "torch_lenet.py")
ORT_SCRIPT = os.path.join(HERE, "ort_bench.js")
PYTHON = "/usr/bin/python3"          # Debian's interpreter: python3-torch lives there
GNU_TIME = "/usr/bin/time"
MODELS = ("lenet5_keras", "lenet5", "vgg_cifar")
TRAIN_BATCH, INFER_BATCH = 64, 256
SCALING_BATCHES = (1, 4, 16, 64, 256, 512)  # training step time vs batch
METRICS = (  # key, label, unit, higher is better
    ("train", f"training images/s (batch {TRAIN_BATCH})", "images/s", True),
    ("infer", f"inference images/s (batch {INFER_BATCH})", "images/s", True),
    ("latency", "batch-1 latency ms", "ms", False),
    ("memory", f"peak memory MiB (training, batch {TRAIN_BATCH})", "MiB", False),
)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, env=None, check=True):
    r = subprocess.run(cmd, env=env, cwd=ROOT, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and r.returncode != 0:
        sys.exit(f"compare: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r


def peak_rss_mib(cmd, env):
    """Peak RSS of `cmd`, measured by GNU time (a small C parent process, so
    nothing of this Python process is counted)."""
    out = f"/tmp/tapeflow_compare_time.{os.getpid()}"
    try:
        run([GNU_TIME, "-f", "%M", "-o", out] + cmd, env=env)
        with open(out) as f:
            return int(f.read().split()[-1]) / 1024.0
    finally:
        if os.path.exists(out):
            os.remove(out)


# ---------------------------------------------------------------- contention

HZ = os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds():
    """CPU seconds the whole machine has been busy (steal included)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = v
    return (user + nice + system + irq + softirq + steal) / HZ


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wait_quiet(a):
    """Waits until other processes use less than a.quiet_cpus CPUs (2 s sample)."""
    start = time.time()
    while True:
        b0 = busy_cpu_seconds()
        time.sleep(2.0)
        others = (busy_cpu_seconds() - b0) / 2.0
        if others < a.quiet_cpus:
            return others
        if time.time() - start > a.max_wait:
            log(f"warning: other processes still use {others:.2f} CPUs; going on")
            return others
        log(f"other processes use {others:.2f} CPUs (load {os.getloadavg()[0]:.2f}); waiting")
        time.sleep(10)


def segment(a, name, fn, stats):
    """Runs fn() on a quiet machine; re-runs it while others took CPU time."""
    for attempt in range(a.retries + 1):
        wait_quiet(a)
        b0, c0, t0 = busy_cpu_seconds(), children_cpu_seconds(), time.time()
        result = fn()
        wall = time.time() - t0
        foreign = max(0.0, (busy_cpu_seconds() - b0) - (children_cpu_seconds() - c0)) / wall
        stats["segments"] += 1
        stats["foreign"].append(foreign)
        if foreign <= a.max_foreign_cpus:
            stats["kept"].append(foreign)
            return result
        stats["reruns"] += 1
        log(f"{name}: other processes used {foreign:.2f} CPUs during the run"
            + ("; running it again" if attempt < a.retries else "; keeping it (flagged)"))
    stats["unclean"].append(name)
    stats["kept"].append(foreign)
    return result


# ---------------------------------------------------------------- machine

def cpu_info():
    model, flags = "unknown", set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name" and model == "unknown":
                model = value.strip()
            elif key == "flags" and not flags:
                flags = set(value.split())
    return model, flags


def physical_cores():
    try:
        out = subprocess.run(["lscpu", "-p=CORE,SOCKET"], text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        cores = {line for line in out.splitlines() if line and not line.startswith("#")}
        return len(cores) or None
    except OSError:
        return None


def openblas_core(env):
    """The core type OpenBLAS picks in a process started with `env`, or None
    when libblas.so.3 is not OpenBLAS."""
    probe = ("import ctypes\n"
             "l = ctypes.CDLL('libblas.so.3')\n"
             "l.openblas_get_corename.restype = ctypes.c_char_p\n"
             "print(l.openblas_get_corename().decode())\n")
    r = subprocess.run([PYTHON, "-c", probe], env=env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None


def openblas_coretype(flags, env):
    """OPENBLAS_CORETYPE to set, or None. OpenBLAS's DYNAMIC_ARCH detection
    goes by the CPU model number and falls back to an SSE3 kernel (Prescott)
    on CPUs it does not know, or in VMs whose CPUID hides the model; force the
    kernel that the instruction set flags allow."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return None
    detected = openblas_core(env)
    if detected is None:
        return None
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"} <= flags:
        want, good = "SkylakeX", ("skylakex", "cooperlake", "sapphirerapids")
    elif {"avx2", "fma"} <= flags:
        want, good = "Haswell", ("haswell", "zen", "skylakex", "cooperlake",
                                 "sapphirerapids")
    else:
        return None
    if detected.lower() in good:
        return None
    log(f"OpenBLAS detected core '{detected}' on a CPU with "
        f"{'AVX-512' if want == 'SkylakeX' else 'AVX2'}: setting OPENBLAS_CORETYPE={want}")
    return want


def aten_capability(flags, env):
    """ATEN_CPU_CAPABILITY to set, or None. ATen picks its kernels' ISA through
    cpuinfo, which can miss AVX-512 that the kernel reports (and that oneDNN
    uses); let it use what /proc/cpuinfo lists."""
    if "ATEN_CPU_CAPABILITY" in os.environ:
        return None
    if not {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        return None
    probe = ("import torch\n"
             "print([l for l in torch.__config__.show().splitlines()"
             " if 'CPU capability usage' in l][0].split(':')[1].strip())\n")
    r = subprocess.run([PYTHON, "-c", probe], env=env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    detected = r.stdout.strip()
    if r.returncode != 0 or detected == "AVX512":
        return None
    log(f"ATen chose CPU capability '{detected}' on a CPU with AVX-512: "
        "setting ATEN_CPU_CAPABILITY=avx512")
    return "avx512"


def pkg_version(name):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return r.stdout.strip() if r.returncode == 0 else "?"


def git_rev():
    r = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return r.stdout.strip() if r.returncode == 0 else "?"


# ---------------------------------------------------------------- tapeflow

def bench_filter(kinds):
    alts = []
    for kind, model, batch in kinds:
        alts.append(f"{kind}/{model}/{batch}")
    return "^BM_(" + "|".join(alts) + ")(/|$)"


def time_unit_seconds(unit):
    return {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def tapeflow_timings(a, env, model):
    kinds = [("TrainStep", model, TRAIN_BATCH), ("Inference", model, INFER_BATCH),
             ("Inference", model, 1)]
    cmd = [a.bench, "--benchmark_format=json",
           "--benchmark_filter=" + bench_filter(kinds),
           f"--benchmark_repetitions={a.windows}",
           "--benchmark_report_aggregates_only=true",
           f"--benchmark_min_time={a.window_seconds:g}"]
    if a.bench_warmup:
        cmd.append(f"--benchmark_min_warmup_time={a.warmup_seconds:g}")
    data = json.loads(run(cmd, env=env).stdout)
    ctx = data.get("context", {})
    out = {model: {}}
    for b in data["benchmarks"]:
        if a.windows > 1 and (b.get("run_type") != "aggregate"
                              or b.get("aggregate_name") != "median"):
            continue
        if b.get("error_occurred"):
            sys.exit(f"compare: {b['name']}: {b.get('error_message')}")
        mm = re.match(r"BM_(TrainStep|Inference)/([^/]+)/(\d+)", b["name"])
        kind, name, batch = mm.group(1), mm.group(2), int(mm.group(3))
        seconds = b["real_time"] * time_unit_seconds(b["time_unit"])
        key = "train" if kind == "TrainStep" else ("latency" if batch == 1 else "infer")
        out[name][key] = {"seconds_per_call": seconds, "batch": batch,
                          "items_per_second": b.get("items_per_second"),
                          "label": b.get("label", "")}
    for key in ("train", "infer", "latency"):
        if key not in out[model]:
            sys.exit(f"compare: tapeflow_bench reported no {key} result for {model}")
    return out[model], ctx


def tapeflow_scaling(a, env, model):
    """ms per training step at each batch of SCALING_BATCHES."""
    cmd = [a.bench, "--benchmark_format=json",
           "--benchmark_filter=" + bench_filter(
               [("TrainStep", model, b) for b in SCALING_BATCHES]),
           f"--benchmark_min_time={a.scaling_seconds:g}"]
    data = json.loads(run(cmd, env=env).stdout)
    out = {}
    for b in data["benchmarks"]:
        batch = int(re.match(r"BM_TrainStep/[^/]+/(\d+)", b["name"]).group(1))
        out[batch] = b["real_time"] * time_unit_seconds(b["time_unit"]) * 1e3
    return out


def tapeflow_memory(a, env, model):
    f = bench_filter([("TrainStep", model, TRAIN_BATCH)])
    return peak_rss_mib([a.bench, "--benchmark_filter=" + f,
                         "--benchmark_min_time=0.5"], env)


# ---------------------------------------------------------------- PyTorch

TORCH_FORMATS = ("nchw", "channels_last")


def torch_timings(a, env, layout, model):
    cmd = [PYTHON, TORCH_SCRIPT, "--json", f"--threads={a.threads}",
           f"--memory-format={layout}", f"--models={model}",
           f"--windows={a.windows}", f"--window-seconds={a.window_seconds:g}",
           f"--warmup-seconds={a.warmup_seconds:g}"]
    data = json.loads(run(cmd, env=env).stdout)
    out = {key: {"seconds_per_call": r["ms_per_call"] / 1e3, "batch": r["batch"]}
           for key, r in data["results"][model].items()}
    return out, data["env"]


def torch_scaling(a, env, layout, model):
    cmd = [PYTHON, TORCH_SCRIPT, "--json", f"--threads={a.threads}",
           f"--memory-format={layout}", f"--models={model}", "--windows=1",
           f"--window-seconds={a.scaling_seconds:g}", "--warmup-seconds=0.3",
           "--scaling-batches=" + ",".join(str(b) for b in SCALING_BATCHES)]
    data = json.loads(run(cmd, env=env).stdout)
    return {r["batch"]: r["ms_per_call"] for r in data["results"][model].values()}


def torch_memory(a, env, model, layout):
    return peak_rss_mib([PYTHON, TORCH_SCRIPT, f"--threads={a.threads}",
                         f"--memory-format={layout}",
                         f"--models={model}", "--only=train", "--iterations=20",
                         "--warmup-seconds=0.5"], env)


# ---------------------------------------------------------------- ONNX Runtime

ORT_KEYS = ("infer", "latency")


def input_dims(model):
    """C,H,W of the first input of models/<model>.pbtxt."""
    with open(os.path.join(ROOT, "models", model + ".pbtxt")) as f:
        mm = re.search(r"input\s*\{[^}]*shape:\s*\[\s*-1\s*,([^\]]*)\]", f.read())
    return ",".join(x.strip() for x in mm.group(1).split(","))


def ort_setup(a, env):
    """Exports every model for ONNX Runtime; (files by model, None) or
    (None, why ONNX Runtime cannot run)."""
    if not shutil_which("node"):
        return None, "node is not on the PATH"
    if not os.path.exists(os.path.join(a.ort_modules, "onnxruntime-node", "package.json")):
        return None, (f"onnxruntime-node is not in {a.ort_modules} "
                      f"(bash tests/onnx/install-ort.sh {os.path.dirname(a.ort_modules)})")
    if not os.access(a.cli, os.X_OK):
        return None, f"no tapeflow CLI at {a.cli}"
    out = os.path.join(a.ort_dir, "models")
    os.makedirs(out, exist_ok=True)
    files = {}
    for m in MODELS:
        files[m] = os.path.join(out, m + ".onnx")
        r = run([a.cli, "export", "--model", os.path.join("models", m + ".pbtxt"),
                 "-o", files[m]], env=env, check=False)
        if r.returncode != 0:
            return None, f"tapeflow export of {m} failed: {r.stderr.strip()[-300:]}"
    return files, None


def shutil_which(name):
    return any(os.access(os.path.join(d, name), os.X_OK)
               for d in os.environ.get("PATH", "").split(os.pathsep) if d)


def ort_timings(a, env, model, path):
    cmd = ["node", ORT_SCRIPT, path, "--dims", input_dims(model),
           f"--batches=1,{INFER_BATCH}", f"--threads={a.threads}",
           f"--windows={a.windows}", f"--window-seconds={a.window_seconds:g}",
           f"--warmup-seconds={a.warmup_seconds:g}"]
    data = json.loads(run(cmd, env=dict(env, NODE_PATH=a.ort_modules)).stdout)
    out = {key: {"seconds_per_call": r["ms_per_call"] / 1e3, "batch": r["batch"]}
           for key, r in data["results"].items()}
    return out, data["env"]


# ---------------------------------------------------------------- report

def best_of(per_format):
    """Per model and metric, the better of PyTorch's memory formats."""
    best = {}
    for m in MODELS:
        best[m] = {}
        for key, _, _, higher in METRICS:
            cands = [(layout, per_format[layout][m][key]) for layout in TORCH_FORMATS]
            score = (lambda c: c[1]) if key == "memory" else (lambda c: value(key, c[1]))
            layout, r = (max if higher else min)(cands, key=score)
            best[m][key] = r
            best[m][key + "_format"] = layout
    return best


def value(key, r):
    if key == "latency":
        return r["seconds_per_call"] * 1e3
    return r["batch"] / r["seconds_per_call"]


def fmt(x):
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bench", required=True, help="path of tapeflow_bench")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--windows", type=int, default=5,
                   help="timed windows (PyTorch) / repetitions (tapeflow) per round")
    p.add_argument("--window-seconds", type=float, default=1.0)
    p.add_argument("--warmup-seconds", type=float, default=1.0)
    p.add_argument("--quiet-cpus", type=float, default=0.15,
                   help="start a timing run only when other processes use fewer CPUs")
    p.add_argument("--max-foreign-cpus", type=float, default=0.1,
                   help="re-run a timing run if other processes used more CPUs on average")
    p.add_argument("--retries", type=int, default=6, help="re-runs per timing run")
    p.add_argument("--max-wait", type=float, default=1200,
                   help="seconds to wait for a quiet machine before each run")
    p.add_argument("--scaling-seconds", type=float, default=0.5,
                   help="timed seconds per batch size in the scaling runs")
    p.add_argument("--build-type", default="?", help="CMAKE_BUILD_TYPE of the bench")
    p.add_argument("--command", default="bash bench/compare/run.sh",
                   help="the command line to print in the report")
    p.add_argument("--json-out", help="also write every measurement to this file")
    p.add_argument("--cli", default="build/tools/tapeflow",
                   help="tapeflow CLI that exports the models for ONNX Runtime")
    p.add_argument("--ort-modules", default="build/ort/node_modules",
                   help="node_modules directory holding onnxruntime-node")
    p.add_argument("--ort-dir", default="/tmp/tapeflow_compare_ort",
                   help="where the exported models go")
    a = p.parse_args()
    a.cli, a.ort_modules = (os.path.join(ROOT, x) if not os.path.isabs(x) else x
                            for x in (a.cli, a.ort_modules))

    model, flags = cpu_info()
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    torch_env = dict(env)
    coretype = openblas_coretype(flags, env)
    if coretype:
        torch_env["OPENBLAS_CORETYPE"] = coretype
    aten = aten_capability(flags, torch_env)
    if aten:
        torch_env["ATEN_CPU_CAPABILITY"] = aten
    a.bench_warmup = "--benchmark_min_warmup_time" in run(
        [a.bench, "--help"], env=env, check=False).stdout

    ort_files, ort_why = ort_setup(a, env)
    if ort_why:
        log(f"ONNX Runtime column: not run ({ort_why})")
    ort_info = None
    started = datetime.datetime.now(datetime.timezone.utc)
    loads = [os.getloadavg()]
    rounds = []
    stats = {"segments": 0, "reruns": 0, "foreign": [], "kept": [], "unclean": []}
    bench_ctx = torch_info = None
    for i in range(a.rounds):
        tf, ort = {}, {}
        per_format = {layout: {} for layout in TORCH_FORMATS}
        for m in MODELS:
            log(f"round {i + 1}/{a.rounds}: {m}: tapeflow (load {os.getloadavg()[0]:.2f})")
            tf[m], bench_ctx = segment(a, f"round {i + 1} tapeflow {m}",
                                       lambda: tapeflow_timings(a, env, m), stats)
            for layout in TORCH_FORMATS:
                log(f"round {i + 1}/{a.rounds}: {m}: PyTorch {layout} "
                    f"(load {os.getloadavg()[0]:.2f})")
                per_format[layout][m], torch_info = segment(
                    a, f"round {i + 1} PyTorch {layout} {m}",
                    lambda: torch_timings(a, torch_env, layout, m), stats)
            if ort_files:
                log(f"round {i + 1}/{a.rounds}: {m}: ONNX Runtime "
                    f"(load {os.getloadavg()[0]:.2f})")
                ort[m], ort_info = segment(a, f"round {i + 1} ONNX Runtime {m}",
                                           lambda: ort_timings(a, env, m, ort_files[m]), stats)
        log(f"round {i + 1}/{a.rounds}: peak memory runs")
        for m in MODELS:
            tf[m]["memory"] = tapeflow_memory(a, env, m)
            for layout in TORCH_FORMATS:
                per_format[layout][m]["memory"] = torch_memory(a, torch_env, m, layout)
        rounds.append({"tapeflow": tf, "torch_formats": per_format, "ort": ort,
                       "torch": best_of(per_format), "load": os.getloadavg()})
        loads.append(os.getloadavg())

    scaling = {}
    for m in MODELS:
        layout = rounds[-1]["torch"][m]["train_format"]
        log(f"batch scaling: {m}: tapeflow, PyTorch {layout}")
        scaling[m] = {
            "tapeflow": segment(a, f"scaling tapeflow {m}",
                                lambda: tapeflow_scaling(a, env, m), stats),
            "torch": segment(a, f"scaling PyTorch {m}",
                             lambda: torch_scaling(a, torch_env, layout, m), stats),
            "torch_format": layout}

    def series(side, m, key):
        r = [rd[side][m][key] for rd in rounds]
        return r if key == "memory" else [value(key, x) for x in r]

    blas = torch_info["blas"]
    conv_ops = sorted({op for ops in torch_info["conv_ops"].values() for op in ops})
    ncpu = os.cpu_count()
    pcores = physical_cores()
    has = lambda f: "yes" if f in flags else "no"  # noqa: E731
    lines = []
    lines.append(f"Date: {started:%Y-%m-%d %H:%M} UTC")
    lines.append(f"Machine: {model}, {ncpu} logical CPUs"
                 + (f" ({pcores} cores)" if pcores and pcores != ncpu else "")
                 + f", avx2 {has('avx2')}, avx512f {has('avx512f')}; "
                 f"Linux {platform.release()}")
    lines.append(f"Threads: {a.threads} (OMP_NUM_THREADS={a.threads}; "
                 f"torch.set_num_threads({a.threads}); tapeflow_bench reports "
                 f"{bench_ctx.get('threads', '?')})")
    lines.append(f"tapeflow: {git_rev()} (working tree), build type "
                 f"{a.build_type}, "
                 f"oneDNN {bench_ctx.get('onednn', '?')} ({bench_ctx.get('onednn_isa', '?')})")
    lines.append(f"PyTorch: {torch_info['torch']} (Debian python3-torch "
                 f"{pkg_version('python3-torch')}), ATen CPU capability "
                 f"{torch_info['cpu_capability']}"
                 + (f" (ATEN_CPU_CAPABILITY={aten})" if aten else "")
                 + ", mkldnn available "
                 f"{torch_info['mkldnn_available']}, convolutions run by "
                 f"{', '.join(conv_ops) or '?'}")
    lines.append(f"BLAS (PyTorch's Linear layers): {blas['name']}"
                 + (f" — {blas['config']}" if blas['config'] else "")
                 + (f" (OPENBLAS_CORETYPE={coretype}; auto-detection chose "
                    f"{openblas_core(env)})" if coretype else "")
                 + f"; {', '.join(blas['loaded'])}")
    lines.append(f"ONNX Runtime: onnxruntime-node {ort_info['ort']} (CPU execution provider, "
                 f"{ort_info['threads']} intra-op threads, 1 inter-op, sequential, "
                 "graph optimisation level all) on `tapeflow export` files"
                 if ort_info else f"ONNX Runtime: not run ({ort_why or 'no result'})")
    lines.append(f"Rounds: {a.rounds}, alternating tapeflow, PyTorch and ONNX Runtime; per round "
                 f"{a.windows} timed windows/repetitions of >= {a.window_seconds:g} s "
                 f"after >= {a.warmup_seconds:g} s of warm-up; medians")
    lines.append("Load average (1 min) before/after each round: "
                 + ", ".join(f"{l[0]:.2f}" for l in loads))
    kept = stats["kept"]
    lines.append(f"CPU used by other processes during the timing runs kept: median "
                 f"{statistics.median(kept):.3f}, max {max(kept):.3f} CPUs; "
                 f"{stats['reruns']} of {stats['segments']} runs were re-run "
                 f"(others above {a.max_foreign_cpus:g} CPUs)"
                 + (f"; NOT clean: {', '.join(stats['unclean'])}" if stats["unclean"] else ""))
    lines.append(f"Command: `{a.command}`")

    ort_cols = "ONNX Runtime | tapeflow/ORT" if ort_info else f"ONNX Runtime: not run ({ort_why})"
    table = [f"| metric | tapeflow | PyTorch | tapeflow/PyTorch | {ort_cols} |",
             "|---|---:|---:|---:|---:|" + ("---:|" if ort_info else "")]
    detail = []
    summary = {}
    for m in MODELS:
        for key, label, unit, _ in METRICS:
            tf, pt = series("tapeflow", m, key), series("torch", m, key)
            mt, mp = statistics.median(tf), statistics.median(pt)
            summary[f"{m}/{key}"] = {"tapeflow": mt, "torch": mp,
                                     "tapeflow_rounds": tf, "torch_rounds": pt}
            row = f"| {m}: {label} | {fmt(mt)} | {fmt(mp)} | {mt / mp:.2f} |"
            ort_txt = ""
            if ort_info and key in ORT_KEYS:
                ox = [value(key, rd["ort"][m][key]) for rd in rounds]
                mo = statistics.median(ox)
                summary[f"{m}/{key}"].update(ort=mo, ort_rounds=ox)
                row += f" {fmt(mo)} | {mt / mo:.2f} |"
                ort_txt = " | ONNX Runtime " + " ".join(fmt(x) for x in ox)
            else:
                row += " - |" + (" - |" if ort_info else "")
            table.append(row)
            by_fmt = "; ".join(
                f"{f} " + " ".join(fmt(value(key, rd["torch_formats"][f][m][key])
                                      if key != "memory" else rd["torch_formats"][f][m][key])
                                  for rd in rounds)
                for f in TORCH_FORMATS)
            detail.append(f"{m + ' ' + key:21s} ({unit}) tapeflow {' '.join(fmt(x) for x in tf)}"
                          f" | PyTorch {by_fmt}{ort_txt}")

    print("\n".join(lines))
    print()
    print("\n".join(table))
    print()
    print("images/s: higher is better; ms and MiB: lower is better. ONNX Runtime runs "
          "inference only (the exported graph).")
    print()
    print("Training step time (ms) against batch size, one run each "
          "(tapeflow / PyTorch, and the ratio of their images/s):")
    print()
    print("| batch | " + " | ".join(f"{m} tapeflow | {m} PyTorch | ratio" for m in MODELS) + " |")
    print("|---:|" + "---:|---:|---:|" * len(MODELS))
    for b in SCALING_BATCHES:
        cells = []
        for m in MODELS:
            t, p_ = scaling[m]["tapeflow"].get(b), scaling[m]["torch"].get(b)
            cells.append(f"{fmt(t)} | {fmt(p_)} | {p_ / t:.2f}" if t and p_ else "- | - | -")
        print(f"| {b} | " + " | ".join(cells) + " |")
    print()
    print("PyTorch: for each metric the better of NCHW and channels_last tensors.")
    print("Per round:")
    for d in detail:
        print("  " + d)
    labels = {m: rounds[-1]["tapeflow"][m]["train"]["label"] for m in MODELS}
    for m, label in labels.items():
        if label:
            print(f"tapeflow {m} training plan: {label}")

    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"header": lines, "summary": summary, "rounds": rounds, "scaling": scaling,
                       "bench_context": bench_ctx, "torch_env": torch_info,
                       "ort_env": ort_info, "ort_missing": ort_why}, f, indent=1)


if __name__ == "__main__":
    main()
