#!/usr/bin/env python3
"""`clip serve` beside the usual Python CLIP service under load, in one run (`make bench`).

The peer is the deployment the seed document recommends: FastAPI under uvicorn, one open_clip model
per worker process (Benchmarks/peers/serve_fastapi.py), Pillow + torchvision preprocessing, numpy for
search. Its workers default to 4 with one torch thread each: on 2 cores, 2 and 4 workers measured alike
in 60 s runs; one worker of 2 threads, and routes on the event loop (--peer-async), were slower in
15 s trial runs; more workers only add memory (1.6 GiB each). Both serve a randomly initialised ViT-B/32 (speed does not depend on the values) and an index
of 100,000 vectors; wrk (Debian) drives each with --connections (64) for --duration seconds (60) per
workload, after a warm-up:

  text     POST /v1/embeddings {"input": "a photo of a red car on a street"}
  image    POST /v1/embeddings {"input": [{"image": <a 640×480 JPEG, base64>}]}
  search   POST /v1/search {"query": "a red car", "top_k": 10}

and we report requests/s, median and 99th-percentile latency, errors (non-2xx, socket errors and
timeouts) and the server's resident memory (all its processes) before and after. Run nothing else
meanwhile; wrk itself shares the machine's cores with the server, the same for both sides.

    apt-get install wrk; pip install fastapi uvicorn open_clip_torch pillow safetensors numpy
    python3 Benchmarks/serve.py --clip .build/release/clip --search-bench .build/release/clip-search-bench \\
        [--duration 60] [--connections 64] [--peer-workers 4] [--peer-threads 1] [--skip text,image,search]
"""
import argparse
import base64
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from search import REFERENCE, WORK, run_json, vit_b32  # noqa: E402

WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = io.open(os.getenv("WRK_BODY"), "rb")
wrk.body = file:read("*a")
file:close()
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_mib(pid):
    """Resident memory of a process and all its descendants, MiB."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        stack += children.get(current, [])
        try:
            with open(f"/proc/{current}/status") as f:
                total += int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        except (OSError, AttributeError):
            pass
    return total / 1024


def wait_until_up(port, body_path, seconds=300):
    deadline = time.time() + seconds
    with open(body_path, "rb") as f:
        body = f.read()
    while time.time() < deadline:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/embeddings", data=body,
                                             headers={"Content-Type": "application/json"})
            if urllib.request.urlopen(request, timeout=60).status == 200:
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the server on port {port} did not come up")


def wrk(url, body_path, duration, connections):
    script = os.path.join(WORK, "post.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT)
    output = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency", "-s", script, url],
                            capture_output=True, text=True, env={**os.environ, "WRK_BODY": body_path}).stdout

    def latency(percent):
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            return float("nan")
        return float(match.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[match.group(2)]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", output) or [0, 0])[1])
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = non2xx + (sum(int(x) for x in sockets.groups()) if sockets else 0)
    return {"rate": rate, "p50": latency(50), "p99": latency(99), "errors": errors}


def measure(name, start, port, bodies, args):
    process = start()
    try:
        wait_until_up(port, bodies["text"])
        results = {}
        for workload, route in (("text", "/v1/embeddings"), ("image", "/v1/embeddings"), ("search", "/v1/search")):
            if workload in args.skip:
                continue
            url = f"http://127.0.0.1:{port}{route}"
            wrk(url, bodies[workload], min(10, args.duration), args.connections)     # warm-up
            before = tree_rss_mib(process.pid)
            result = wrk(url, bodies[workload], args.duration, args.connections)
            result["rss"] = (before, tree_rss_mib(process.pid))
            results[workload] = result
            print(f"  {name} {workload}: {result['rate']:.1f} req/s, p50 {result['p50']:.0f} ms, p99 {result['p99']:.0f} ms, "
                  f"{result['errors']} errors, RSS {result['rss'][0]:.0f} → {result['rss'][1]:.0f} MiB", flush=True)
        return results
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clip", required=True)
    parser.add_argument("--search-bench", required=True)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--peer-workers", type=int, default=4)
    parser.add_argument("--peer-threads", type=int, default=1)
    parser.add_argument("--peer-async", action="store_true", help="run the peer's routes on its event loop instead of its thread pool")
    parser.add_argument("--sides", default="ours,peer", help="which servers to run")
    parser.add_argument("--skip", default="")
    args = parser.parse_args()
    args.skip = set(filter(None, args.skip.split(",")))
    os.makedirs(WORK, exist_ok=True)

    model_dir = vit_b32(os.path.join(WORK, "vit-b-32"))
    index = os.path.join(WORK, "index-100k")
    if not os.path.exists(os.path.join(index, "catalogue.sqlite")):
        run_json([args.search_bench, "fill-index", index, model_dir, "100000"])
    vectors = [os.path.join(index, n) for n in os.listdir(index) if n.startswith("vectors-") and n.endswith(".f16")][0]

    from PIL import Image
    photo = Image.open(os.path.join(REFERENCE, "images", sorted(n for n in os.listdir(os.path.join(REFERENCE, "images"))
                                                                 if n.endswith(".jpg"))[0])).convert("RGB").resize((640, 480), Image.BICUBIC)
    jpeg = io.BytesIO()
    photo.save(jpeg, format="JPEG", quality=90)
    bodies = {}
    for name, body in (("text", {"input": "a photo of a red car on a street"}),
                       ("image", {"input": [{"image": base64.b64encode(jpeg.getvalue()).decode()}]}),
                       ("search", {"query": "a red car", "top_k": 10})):
        bodies[name] = os.path.join(WORK, f"body-{name}.json")
        with open(bodies[name], "w") as f:
            json.dump(body, f)

    cpu = open("/proc/cpuinfo").read()
    flags = sorted(set(re.findall(r"\b(avx512f|avx512_bf16|avx512_vnni|amx_tile|avx2|fma|f16c)\b", cpu)))
    print(f"clip serve beside FastAPI + uvicorn ({args.peer_workers} workers × {args.peer_threads} torch threads, "
          f"{'event loop' if args.peer_async else 'thread pool'}) + open_clip, "
          f"ViT-B/32, wrk {args.connections} connections × {args.duration} s per workload, {os.cpu_count()} cores ({' '.join(flags)})")

    sides = set(args.sides.split(","))
    ours_port = free_port()
    ours = {} if "ours" not in sides else measure("swift-clip", lambda: subprocess.Popen(
        [args.clip, "serve", "--model", model_dir, "--index", index, "--port", str(ours_port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "CLIP_CACHE_DIR": tempfile.mkdtemp()}), ours_port, bodies, args)
    peer_port = free_port()
    peer = {} if "peer" not in sides else measure("peer", lambda: subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "serve_fastapi:app", "--app-dir", os.path.join(HERE, "peers"), "--workers", str(args.peer_workers),
         "--port", str(peer_port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PEER_MODEL": model_dir, "PEER_VECTORS": vectors, "PEER_THREADS": str(args.peer_threads),
                 "PEER_ASYNC": "1" if args.peer_async else "0"}), peer_port, bodies, args)

    print(f"\n{'':10}{'swift-clip req/s':>18}{'p50/p99 ms':>14}{'errors':>8}{'RSS MiB':>14}"
          f"{'peer req/s':>12}{'p50/p99 ms':>14}{'errors':>8}{'RSS MiB':>14}{'ratio':>8}")
    for workload in ("text", "image", "search"):
        if workload not in ours or workload not in peer:
            continue
        a, b = ours[workload], peer[workload]
        print(f"{workload:10}{a['rate']:18.1f}{a['p50']:7.0f}/{a['p99']:<6.0f}{a['errors']:8d}{a['rss'][0]:7.0f}→{a['rss'][1]:<6.0f}"
              f"{b['rate']:12.1f}{b['p50']:7.0f}/{b['p99']:<6.0f}{b['errors']:8d}{b['rss'][0]:7.0f}→{b['rss'][1]:<6.0f}{a['rate'] / b['rate']:8.2f}")


if __name__ == "__main__":
    main()
