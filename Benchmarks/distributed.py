#!/usr/bin/env python3
"""Data-parallel training on one machine (part of `make bench`): `clip train` as 1 rank × C threads
against `mpirun -np R` ranks × C/R threads each, same global batch, on the shared digits data, for the
tiny config (../shared/bench/peers/tiny_clip.json) and ViT-B/32. Reads each run's metrics.jsonl (rank 0's
per-step communication: bytes handed to collectives and seconds inside them) and prints, per config, the
median step time of each layout, their ratio, and per-step traffic.

Then a projection to clusters, from the ring all-reduce's cost model: an all-reduce of S bytes over p
nodes sends 2(p−1)/p·S per node and takes 2(p−1) latency hops, per bucket (GradientBuckets: 25 MiB).
The per-node compute comes from the 1-rank run at the local batch, the bandwidth from this machine's
measured all-reduce (shared memory) and from assumed networks (10 and 100 Gb/s, 5 µs per hop), since
no second machine is reachable here.

    python3 Benchmarks/distributed.py --binary .build/release/clip [--ranks 2] [--steps 4] [--rounds 2]
        [--configs tiny,ViT-B-32] [--nodes 8,64]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared")
DIGITS = os.path.join(SHARED, "reference", "datasets", "digits", "train.tsv")
# name: (config, global batch, embedding width)
CONFIGS = {
    "tiny": (os.path.join(SHARED, "bench", "peers", "tiny_clip.json"), 128, 256),
    "ViT-B-32": ("ViT-B-32", 32, 512),
}
BUCKET_BYTES = 25 << 20
NETWORKS = [("10 Gb/s Ethernet", 10e9 / 8, 5e-6), ("100 Gb/s InfiniBand", 100e9 / 8, 5e-6)]


def train(binary, config, batch, steps, ranks, threads, folder):
    output = tempfile.mkdtemp(prefix=f"run-{ranks}-", dir=folder)
    command = [binary, "train", "--model-config", config, "--train-data", DIGITS, "--batch-size", str(batch),
               "--steps", str(steps), "--warmup", "2", "--output-dir", output, "--json"]
    environment = dict(os.environ, CLIP_NUM_THREADS=str(threads))
    if ranks > 1:
        command = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", str(ranks),
                   "-x", "CLIP_NUM_THREADS"] + command
    subprocess.run(command, check=True, capture_output=True, text=True, env=environment)
    records = [json.loads(line) for line in open(os.path.join(output, "metrics.jsonl")) if '"loss"' in line]
    timed = records[1:]  # the first step pays for first-touch allocations and the first batch's decoding
    return {
        "step": statistics.median(batch / r["samples_per_second"] for r in timed),
        "bytes": statistics.median(r.get("comm_bytes", 0) for r in timed),
        "comm": statistics.median(r.get("comm_seconds", 0) for r in timed),
        "wait": statistics.median(r.get("wait_seconds", 0) for r in timed),
        "losses": [r["loss"] for r in records],
    }


def ring_allreduce_seconds(size_bytes, nodes, bandwidth, latency):
    buckets = max(1, -(-size_bytes // BUCKET_BYTES))
    return 2 * (nodes - 1) / nodes * size_bytes / bandwidth + buckets * 2 * (nodes - 1) * latency


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--configs", default="tiny,ViT-B-32")
    parser.add_argument("--nodes", default="8,64")
    args = parser.parse_args()
    cores = os.cpu_count()
    flags = sorted({f for line in open("/proc/cpuinfo") if line.startswith("flags") for f in line.split()
                    if f in ("avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "avx2")})
    print(f"{cores} cores, CPU flags: {' '.join(flags)}")
    for name in args.configs.split(","):
        config, batch, width = CONFIGS[name]
        alone, spread = [], []
        with tempfile.TemporaryDirectory() as folder:
            for round_ in range(args.rounds):
                a = train(args.binary, config, batch, args.steps, 1, cores, folder)
                b = train(args.binary, config, batch, args.steps, args.ranks, max(1, cores // args.ranks), folder)
                alone.append(a)
                spread.append(b)
                worst = max(abs(x - y) / abs(x) for x, y in zip(a["losses"], b["losses"]))
                print(f"{name} batch {batch}, round {round_ + 1}: 1 rank × {cores} threads {a['step']:.3f} s/step, "
                      f"{args.ranks} ranks × {max(1, cores // args.ranks)} threads {b['step']:.3f} s/step "
                      f"(ratio {a['step'] / b['step']:.2f}); traffic {b['bytes'] / 1e6:.1f} MB/step/rank in {b['comm'] * 1e3:.1f} ms "
                      f"({b['wait'] * 1e3:.1f} ms of it waiting for the other rank); "
                      f"losses agree within {worst:.1e}")
        one = min(r["step"] for r in alone)
        many = min(r["step"] for r in spread)
        traffic = statistics.median(r["bytes"] for r in spread)
        comm = statistics.median(r["comm"] for r in spread)
        wait = statistics.median(r["wait"] for r in spread)
        print(f"{name}: best 1 × {cores}: {one:.3f} s/step ({batch / one:.1f} samples/s); best {args.ranks} × "
              f"{max(1, cores // args.ranks)}: {many:.3f} s/step ({batch / many:.1f} samples/s); ratio {one / many:.2f}; "
              f"communication {traffic / 1e6:.1f} MB and {comm * 1e3:.1f} ms per step ({100 * comm / many:.1f}% of the step, "
              f"{wait * 1e3:.1f} ms of it waiting for the slower rank)")

        # Cluster projection: each node = this machine running one rank at the local batch.
        local_batch = batch // args.ranks
        with tempfile.TemporaryDirectory() as folder:
            compute = train(args.binary, config, local_batch, args.steps, 1, cores, folder)["step"]
        # Per step a rank hands the collectives its gradients (all-reduce) and, per tower, its features
        # (all-gather, b·E floats) and all features' gradients (reduce-scatter, N·E floats).
        feature_bytes = 2 * (local_batch + batch) * width * 4
        gradient_bytes = traffic - feature_bytes
        transfer = max(comm - wait, 1e-9)
        measured_bandwidth = 2 * (args.ranks - 1) / args.ranks * traffic / transfer
        print(f"  projection: compute {compute:.3f} s/step at the local batch {local_batch} on one node; gradients "
              f"{gradient_bytes / 1e6:.1f} MB; this machine's collectives moved {measured_bandwidth / 1e9:.2f} GB/s "
              f"(shared memory, {args.ranks} ranks, waiting excluded)")
        for nodes in (int(n) for n in args.nodes.split(",")):
            for label, bandwidth, latency in NETWORKS + [("this machine's measured bandwidth", measured_bandwidth, 5e-6)]:
                gradients = ring_allreduce_seconds(gradient_bytes, nodes, bandwidth, latency)
                # all-gather and reduce-scatter of both towers' features: (p−1)/p of N·E floats each way
                features = 4 * (nodes - 1) / nodes * nodes * local_batch * width * 4 / bandwidth + 4 * (nodes - 1) * latency
                step = compute + gradients + features
                print(f"  {nodes} nodes over {label}: gradient all-reduce {gradients * 1e3:.1f} ms, feature exchange "
                      f"{features * 1e3:.2f} ms, step {step:.3f} s, {nodes * local_batch / step:.0f} samples/s (global batch "
                      f"{nodes * local_batch}), scaling efficiency {compute / step:.0%} without overlap")

if __name__ == "__main__":
    main()
