#!/usr/bin/env python3
"""ViT-B/32 (random init) in f32, bf16 and int8: `clip bench --precision` beside PyTorch f32, PyTorch
bf16 (`torch.autocast("cpu", dtype=torch.bfloat16)`) and ONNX Runtime int8 (`quantize_dynamic` of the
exported towers), all on the same threads, in one run (`make bench`).

Tasks: image batch 1 and 32, text batch 1 at 10 tokens and 64 at 77 tokens. Each side stays loaded;
rounds alternate between the six contenders with a pause between passes, and each side's best round
is compared. Also: peak RSS of `clip embed` on one image in int8 against f32: from the same f32
safetensors file (int8 memory comes from releasing the mapped f32 weights after quantising), and from
the int8 checkpoint that `clip convert --dtype int8` writes (loaded without quantising), with file sizes.

bf16 and int8 run several times faster only on CPUs that multiply them in hardware (AVX-512 BF16,
VNNI, AMX): the CPU flags are printed first; compare ratios within one run.

    pip install open_clip_torch onnx onnxruntime onnxscript safetensors numpy
    python3 Benchmarks/precision.py --binary .build/release/clip [--rounds 4] [--threads 2] [--tasks image32,text1@10]
"""
import os
import subprocess
import sys
import time

from vit_b32 import WEIGHTS, bench_arguments, bench_request, clip_environment, random_model, selected_tasks, start_clip_bench

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "..", "..", "shared", "bench", "peers")
ONNX_DIR = os.path.join("/tmp", "swift-clip-bench-onnx")
TASKS = [("image", 1, 0), ("image", 32, 0), ("text", 1, 10), ("text", 64, 77)]
PRECISIONS = ["f32", "bf16", "int8"]


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                wanted = ["avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8", "avx_vnni"]
                present = set(line.split(":", 1)[1].split())
                return " ".join(flag for flag in wanted if flag in present)
    return "unknown"


def inputs(kind, batch, tokens, torch):
    if kind == "image":
        return torch.randn(batch, 3, 224, 224)
    t = torch.zeros(batch, 77, dtype=torch.long)
    t[:, 0] = 49406
    t[:, 1:tokens - 1] = torch.randint(1, 49406, (batch, tokens - 2))
    t[:, tokens - 1] = 49407
    return t


def export_int8(model, torch):
    """Exports both towers to ONNX and quantises them dynamically (int8 weights, per-row activations)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    class Tower(torch.nn.Module):
        def __init__(self, kind):
            super().__init__()
            self.model, self.kind = model, kind

        def forward(self, x):
            return self.model.encode_image(x) if self.kind == "image" else self.model.encode_text(x)

    os.makedirs(ONNX_DIR, exist_ok=True)
    paths = {}
    for kind, example in [("image", torch.randn(1, 3, 224, 224)), ("text", inputs("text", 1, 10, torch))]:
        f32_path, int8_path = os.path.join(ONNX_DIR, f"{kind}.onnx"), os.path.join(ONNX_DIR, f"{kind}_int8.onnx")
        if not os.path.exists(int8_path):
            torch.onnx.export(Tower(kind), (example,), f32_path, input_names=["input"], output_names=["features"],
                              dynamic_axes={"input": {0: "batch"}, "features": {0: "batch"}}, opset_version=17, dynamo=False)
            quantize_dynamic(f32_path, int8_path, weight_type=QuantType.QInt8)
        paths[kind] = int8_path
    return paths


def peak_rss_of_embed(binary, model, precision, image, env):
    """Peak RSS (MiB) of one `clip embed` process on one image, measured from a fresh interpreter
    (a process's ru_maxrss of children is the largest child it ever waited for)."""
    architecture = ["--arch", "ViT-B-32"] if model.endswith(".safetensors") else []
    probe = subprocess.run([sys.executable, "-c", (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"),
        binary, "embed", "--model", model, *architecture, "--precision", precision, "--image", image, "--text", "a photo of a cat"],
        env=env, capture_output=True, text=True, check=True)
    return float(probe.stdout.strip())


def int8_checkpoint(binary, env):
    """The bench model written by `clip convert --dtype int8` (once)."""
    folder = WEIGHTS.replace(".safetensors", "-int8")
    if not os.path.isdir(folder):
        subprocess.run([binary, "convert", WEIGHTS, "--arch", "ViT-B-32", "--dtype", "int8", "--output-dir", folder],
                       env=env, stdout=subprocess.DEVNULL, check=True)
    return folder


def main():
    args = bench_arguments(4, "image32,text1@10")
    sys.path.insert(0, PEERS)
    from common import time_fn  # noqa: E402
    import numpy as np
    import onnxruntime as ort
    torch, model = random_model(args.threads)
    onnx_paths = export_int8(model, torch)
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = args.threads, 1
    sessions = {kind: ort.InferenceSession(path, options, providers=["CPUExecutionProvider"]) for kind, path in onnx_paths.items()}

    env = clip_environment(args.threads)
    ours = {p: start_clip_bench(args.binary, env, "--precision", p) for p in PRECISIONS}

    def peers(kind, batch, tokens):
        x = inputs(kind, batch, tokens, torch)
        encode = model.encode_image if kind == "image" else model.encode_text

        def bf16():
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return encode(x)
        feed = {"input": x.numpy() if kind == "image" else x.numpy().astype(np.int64)}
        return {"torch f32": lambda: encode(x), "torch bf16": bf16, "ORT int8": lambda: sessions[kind].run(None, feed)}

    print(f"ViT-B/32, random weights, {args.threads} threads, {args.rounds} alternating rounds per task; CPU flags: {cpu_flags()}")
    header = ["swift f32", "swift bf16", "swift int8", "torch f32", "torch bf16", "ORT int8"]
    print(f"{'task (ms, best round)':<24}" + "".join(f"{h:>12}" for h in header)
          + "   f32/torch  bf16/torch-bf16  int8/ORT-int8  int8/torch-f32")
    for kind, batch, tokens in selected_tasks(TASKS, args.tasks):
        times = {name: [] for name in header}
        functions = peers(kind, batch, tokens)
        for _ in range(args.rounds):
            for precision in PRECISIONS:
                time.sleep(0.2)
                times[f"swift {precision}"].append(bench_request(ours[precision], kind, batch, tokens)["latency_ms_median"])
            for name, fn in functions.items():
                time.sleep(0.2)
                with torch.inference_mode():
                    times[name].append(time_fn(fn, warmup=1, iters=3)["median_s"] * 1e3)
        best = {name: min(values) for name, values in times.items()}
        name = f"{kind} batch {batch}" + (f" @{tokens}" if kind == "text" else "")
        print(f"{name:<24}" + "".join(f"{best[h]:12.1f}" for h in header)
              + f"{best['torch f32'] / best['swift f32']:12.2f}{best['torch bf16'] / best['swift bf16']:17.2f}"
              f"{best['ORT int8'] / best['swift int8']:15.2f}{best['torch f32'] / best['swift int8']:16.2f}")
    for process in ours.values():
        process.stdin.close()
        process.wait()

    image = os.path.join(HERE, "..", "Tests", "CLIPImageTests", "Fixtures", "images", "odd_97x61.png")
    f32_peak, int8_peak = (peak_rss_of_embed(args.binary, WEIGHTS, p, image, env) for p in ("f32", "int8"))
    print(f"peak RSS of clip embed (one image): f32 {f32_peak:.0f} MiB, int8 {int8_peak:.0f} MiB ({int8_peak / f32_peak:.2f}x)")
    stored = int8_checkpoint(args.binary, env)
    stored_peak = peak_rss_of_embed(args.binary, stored, "int8", image, env)
    sizes = [os.path.getsize(path) / 2**20 for path in (WEIGHTS, os.path.join(stored, "open_clip_model.safetensors"))]
    print(f"int8 checkpoint (clip convert --dtype int8): {sizes[1]:.0f} MiB on disk against {sizes[0]:.0f} MiB f32; "
          f"peak RSS of clip embed {stored_peak:.0f} MiB ({stored_peak / f32_peak:.2f}x f32)")


if __name__ == "__main__":
    main()
