"""`clipforge serve` under load, beside the services it replaces, all measured in this run on
this machine (scripts/serve_bench.sh sets the environment):

  python scripts/serve_bench.py bench --clipforge BIN --vocab V [--quick] [--out results.json]
      ViT-B-32 (random weights, seed 0, the same file for every side), CPU, --threads each:
      images/s and p50/p99 latency at concurrency 1, 8 and 64 for POST /v1/embed and /v1/rerank
      with 8 JPEG photos (640x480) per request, driven by wrk, for
        clipforge serve                 dynamic batching (--max-batch 64, --max-wait-ms 5)
        OpenCLIP behind FastAPI/uvicorn scripts/openclip_service.py: one request, one forward
        separate `clipforge rerank`     one process per request (concurrency 1 and 8: 64 processes
                                        of ViT-B-32 do not fit in this machine's memory)
      and, at concurrency 1 with one 224x224 image per request, the server's latency beside the
      bare model call (`clipforge bench model`, batch 1).
  python scripts/serve_bench.py soak --clipforge BIN --vocab V [--minutes 10]
      steady load (wrk, concurrency 8, embed/rerank/score/zeroshot/text bodies in turn): the
      server's RSS every 10 s and every error; the median RSS of the last minute must stay
      within 5% of the second minute's.
  python scripts/serve_bench.py fuzz --clipforge BIN --vocab V [--examples N]
      schemathesis against GET /openapi.json (positive and negative cases, every operation) on
      the tiny-ViT config: no 5xx but 503, no hang, and the server still exits 0 on SIGTERM.

JSON on stdout, one line per figure on stderr. Development tool: clipforge never needs Python.
"""
import argparse
import base64
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from peer_bench import synthetic_photo  # noqa: E402

WRK_SCRIPT = r"""
-- Bodies and paths in turn, one list per wrk thread; a JSON summary line when done.
local bodies, paths, i = {}, {}, 0
for path in string.gmatch(os.getenv("BENCH_BODIES"), "[^,]+") do
  local f = assert(io.open(path, "rb")); bodies[#bodies + 1] = f:read("*a"); f:close()
end
for path in string.gmatch(os.getenv("BENCH_PATHS"), "[^,]+") do paths[#paths + 1] = path end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", paths[i], {["Content-Type"] = "application/json"}, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests": %d, "duration_s": %.3f, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def log(text):
    print(text, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def wait_ready(url, process, timeout=600):
    start = time.time()
    while time.time() - start < timeout:
        if process.poll() is not None:
            sys.exit(f"serve_bench: the service exited {process.returncode} before it was ready: {process.stderr.read()[-1500:]}")
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"serve_bench: {url} not ready after {timeout} s")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024


def stop(process, timeout=120):
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return "killed after %d s" % timeout


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


class Scratch:
    """Weights, images and request bodies shared by every side."""

    def __init__(self, folder, config):
        import open_clip
        import torch
        from safetensors.torch import save_file
        self.folder, self.config = folder, config
        open_clip.add_model_config(config)
        torch.manual_seed(0)
        model = open_clip.create_model(os.path.splitext(os.path.basename(config))[0], pretrained=None)
        self.weights = os.path.join(folder, "weights.safetensors")
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, self.weights)
        rng = random.Random(0)
        photos = [synthetic_photo(640, 480, rng) for _ in range(8)]
        self.image_paths = [write(os.path.join(folder, f"photo_{i}.jpg"), p) for i, p in enumerate(photos)]
        small = synthetic_photo(224, 224, rng)
        self.small_path = write(os.path.join(folder, "small.jpg"), small)
        b64 = [base64.b64encode(p).decode() for p in photos]
        prompt = "a photo of a street at sunset"
        self.bodies = {
            "embed": write(os.path.join(folder, "embed.json"), json.dumps({"images": b64})),
            "rerank": write(os.path.join(folder, "rerank.json"), json.dumps({"prompt": prompt, "images": b64})),
            "embed1": write(os.path.join(folder, "embed1.json"), json.dumps({"images": [base64.b64encode(small).decode()]})),
            "score": write(os.path.join(folder, "score.json"),
                           json.dumps({"pairs": [{"image": b, "caption": f"photo {i} of a street"} for i, b in enumerate(b64[:4])]})),
            "zeroshot": write(os.path.join(folder, "zeroshot.json"),
                              json.dumps({"images": b64[:4], "classes": ["street", "beach", "forest", "kitchen"],
                                          "templates": ["a photo of a {}.", "a picture of a {}."]})),
            "texts": write(os.path.join(folder, "texts.json"),
                           json.dumps({"texts": [f"caption number {i} of a synthetic photo" for i in range(16)]})),
        }
        self.prompt = prompt
        self.wrk_script = write(os.path.join(folder, "bench.lua"), WRK_SCRIPT)


def post(url, body_path):
    with open(body_path, "rb") as f:
        request = urllib.request.Request(url, data=f.read(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as r:
        return r.read()


def wrk(url, script, bodies, paths, connections, seconds):
    env = dict(os.environ, BENCH_BODIES=",".join(bodies), BENCH_PATHS=",".join(paths))
    threads = 1 if connections == 1 else 2
    done = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "600s",
                           "--latency", "-s", script, url], capture_output=True, text=True, env=env)
    line = next((l for l in done.stdout.splitlines() if l.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        sys.exit(f"serve_bench: wrk failed ({done.returncode}): {done.stdout[-800:]} {done.stderr[-800:]}")
    return json.loads(line[len("WRK_JSON "):])


def start_clipforge(a, scratch, port, **flags):
    """`flags` (max_images=8, ...) override the benchmark's settings, which keep a long queue from
    being answered 503 or 504: the figures are of throughput and latency, not of the limits."""
    settings = {"max_batch": 64, "max_queue": 4096, "deadline_ms": 600000, "max_images": 64, **flags}
    command = [a.clipforge, "--threads", str(a.threads), "serve", "--model", scratch.config, "--weights", scratch.weights,
               "--vocab", a.vocab, "--listen", f"127.0.0.1:{port}"]
    for flag, value in settings.items():
        command += ["--" + flag.replace("_", "-"), str(value)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_ready(f"http://127.0.0.1:{port}/readyz", process)
    return process


def start_fastapi(a, scratch, port):
    env = dict(os.environ, OPENCLIP_MODEL=scratch.config, OPENCLIP_WEIGHTS=scratch.weights, THREADS=str(a.threads))
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", HERE, "openclip_service:app", "--host", "127.0.0.1",
                                "--port", str(port), "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    wait_ready(f"http://127.0.0.1:{port}/healthz", process)
    return process


def bench(a):
    durations = {1: 10, 8: 20, 64: 40} if a.quick else {1: 20, 8: 40, 64: 90}
    rows = []
    with tempfile.TemporaryDirectory(prefix="clipforge_serve_bench_") as folder:
        scratch = Scratch(folder, os.path.join(ROOT, "models", "ViT-B-32.json"))
        bare = json.loads(subprocess.run([a.clipforge, "--threads", str(a.threads), "bench", "model", "--model", scratch.config,
                                          "--batch", "1", "--warmup", "3", "--iters", "20"],
                                         capture_output=True, text=True, check=True).stdout)
        bare_ms = 1000 / bare["results"]["encode_image"]["per_s"]
        log(f"bare model       ViT-B-32 encode_image batch 1: {bare_ms:.1f} ms")
        # Each figure on a freshly started service, warmed by two requests of its own body: a
        # run's last requests would otherwise still be answered (both services finish what wrk
        # left queued) while the next figure is measured.
        cases = [(endpoint, 8, connections) for endpoint in ("embed", "rerank") for connections in (1, 8, 64)] + [("embed1", 1, 1)]
        for side, start in (("clipforge serve", start_clipforge), ("OpenCLIP FastAPI", start_fastapi)):
            for body, images, connections in cases:
                port = free_port()
                process = start(a, scratch, port)
                url = f"http://127.0.0.1:{port}"
                path = "/v1/embed" if body == "embed1" else f"/v1/{body}"
                for _ in range(2):
                    post(url + path, scratch.bodies[body])
                r = wrk(url, scratch.wrk_script, [scratch.bodies[body]], [path], connections, durations[connections])
                row = {"side": side, "endpoint": path, "images_per_request": images, "concurrency": connections,
                       "images_per_s": images * r["requests"] / r["duration_s"], "rss_mib": rss_mib(process.pid), **r}
                if body == "embed1":
                    row["image"] = "224x224 JPEG"
                    row["p50_over_bare_model_ms"] = r["p50_ms"] - bare_ms
                rows.append(row)
                log(f"{side:16} {path:10} {images} image(s) c={connections:<3} {row['images_per_s']:7.1f} images/s  "
                    f"p50 {r['p50_ms']:8.1f} ms  p99 {r['p99_ms']:8.1f} ms  errors {r['status_errors'] + r['timeouts']}  "
                    f"RSS {row['rss_mib']:.0f} MiB")
                status = stop(process)
                if status not in (0, -signal.SIGTERM):
                    sys.exit(f"serve_bench: {side} ended with {status}: {process.stderr.read()[-1500:]}")
        rows += process_rows(a, scratch, 3 if a.quick else 6)
    return {"benchmark": "serve", "model": "ViT-B-32 (random weights)", "threads": a.threads, "quick": a.quick,
            "bare_model_encode_image_batch1_ms": bare_ms, "clipforge_environment": bare.get("environment"),
            "openclip_environment": openclip_environment(), "process_environment": kept_environment(), "rows": rows}


def process_rows(a, scratch, requests):
    """The baseline the server replaces: one `clipforge rerank` process per request, `connections`
    at a time, until `requests` requests per connection are answered."""
    rows = []
    command = [a.clipforge, "--threads", str(a.threads), "rerank", "--model", scratch.config, "--weights", scratch.weights,
               "--vocab", a.vocab, "--prompt", scratch.prompt, "--json", *scratch.image_paths]
    for connections in (1, 8):
        latencies, start = [], time.perf_counter()
        for _ in range(requests):
            began = time.perf_counter()
            wave = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(connections)]
            for p in wave:
                if p.wait() != 0:
                    sys.exit("serve_bench: clipforge rerank failed")
                latencies.append((time.perf_counter() - began) * 1000)
        seconds = time.perf_counter() - start
        latencies.sort()
        row = {"side": "clipforge rerank processes", "endpoint": "rerank (process per request)", "images_per_request": 8,
               "concurrency": connections, "requests": len(latencies), "duration_s": seconds,
               "images_per_s": 8 * len(latencies) / seconds, "p50_ms": statistics.median(latencies),
               "p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]}
        rows.append(row)
        log(f"{'rerank processes':16} c={connections:<3} {row['images_per_s']:7.1f} images/s  p50 {row['p50_ms']:8.1f} ms  "
            f"p99 {row['p99_ms']:8.1f} ms")
    return rows


def metrics_of(url):
    """Answers to the API by status, from the server's own count (not the readiness polls)."""
    text = get(url + "/metrics")[1].decode()
    totals = {}
    for endpoint, code, count in re.findall(r'clipforge_requests_total\{endpoint="([^"]*)",code="(\d+)"\} (\d+)', text):
        if endpoint != "/readyz":
            totals[code] = totals.get(code, 0) + int(count)
    return totals


def soak(a):
    with tempfile.TemporaryDirectory(prefix="clipforge_serve_soak_") as folder:
        scratch = Scratch(folder, os.path.join(ROOT, "models", "ViT-B-32.json"))
        port = free_port()
        process = start_clipforge(a, scratch, port)
        url = f"http://127.0.0.1:{port}"
        names = ["embed", "rerank", "score", "zeroshot", "texts"]
        samples, finished = [], threading.Event()

        def sample():
            start = time.time()
            while not finished.wait(10):
                samples.append({"s": round(time.time() - start), "rss_mib": rss_mib(process.pid)})
                log(f"soak {samples[-1]['s']:5d} s  RSS {samples[-1]['rss_mib']:.1f} MiB")

        sampler = threading.Thread(target=sample)
        sampler.start()
        r = wrk(url, scratch.wrk_script, [scratch.bodies[n] for n in names],
                ["/v1/" + ("embed" if n == "texts" else n) for n in names], 8, int(a.minutes * 60))
        finished.set()
        sampler.join()
        codes = metrics_of(url)
        status = stop(process)
    # A trend, not a transient: the median of the last minute against that of the second (by
    # then the mixed load has met its batch compositions and the heap holds what they need).
    second = [s["rss_mib"] for s in samples if 60 < s["s"] <= 120]
    last = [s["rss_mib"] for s in samples if s["s"] > samples[-1]["s"] - 60]
    growth = statistics.median(last) / statistics.median(second) - 1 if second and last else 0.0
    errors = r["status_errors"] + r["timeouts"] + r["connect_errors"] + r["read_errors"] + r["write_errors"]
    result = {"benchmark": "serve soak", "minutes": a.minutes, "concurrency": 8, "threads": a.threads, "wrk": r,
              "requests_by_status": codes, "errors": errors, "rss_samples": samples,
              "rss_growth_last_minute_over_second": growth, "exit_status": status,
              "passed": errors == 0 and growth <= 0.05 and status == 0 and set(codes) == {"200"},
              "clipforge_environment": None, "process_environment": kept_environment()}
    log(f"soak: {r['requests']} requests, {errors} errors, RSS median of the last minute over the second {100 * growth:+.2f}%, "
        f"exit {status}: {'passed' if result['passed'] else 'FAILED'}")
    return result


def fuzz(a):
    with tempfile.TemporaryDirectory(prefix="clipforge_serve_fuzz_") as folder:
        scratch = Scratch(folder, os.path.join(ROOT, "models", "tiny-ViT.json"))
        # An index of random rows of the model's width, so /v1/search is exercised too.
        import numpy as np
        with open(scratch.config) as f:
            dim = json.load(f)["embed_dim"]
        rows = os.path.join(folder, "rows.npy")
        np.save(rows, np.random.default_rng(0).standard_normal((64, dim)).astype(np.float32))
        subprocess.run([a.clipforge, "index", "build", "--embeddings", rows, "--out", os.path.join(folder, "index")],
                       check=True, capture_output=True)
        port = free_port()
        process = start_clipforge(a, scratch, port, max_images=8, max_texts=64, index=os.path.join(folder, "index"))
        url = f"http://127.0.0.1:{port}"
        report = os.path.join(folder, "report")
        schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
        started = time.time()
        done = subprocess.run([schemathesis, "run", url + "/openapi.json", "--checks", "not_a_server_error",
                               "--max-examples", str(a.examples), "--seed", "1", "--workers", "2", "--request-timeout", "30",
                               "--no-color", "--suppress-health-check", "all", "--report", "ndjson", "--report-dir", report],
                              capture_output=True, text=True, cwd=folder)  # its cache folder stays out of the checkout
        seconds = time.time() - started
        codes = metrics_of(url)
        alive = get(url + "/healthz")[0] == 200
        status = stop(process)
        stderr = process.stderr.read()
    requests = sum(codes.values())
    server_errors = {c: n for c, n in codes.items() if c.startswith("5") and c != "503"}
    summary = [l for l in done.stdout.splitlines() if re.search(r"passed|failed|error", l, re.I)][-12:]
    result = {"benchmark": "serve fuzz", "tool": "schemathesis 4.32.5", "max_examples_per_operation": a.examples,
              "schemathesis_exit": done.returncode, "seconds": round(seconds, 1), "requests_by_status": codes,
              "requests": requests, "server_errors": server_errors, "alive_after": alive, "exit_status": status,
              "schemathesis_summary": summary,
              "passed": done.returncode == 0 and not server_errors and alive and status == 0 and requests >= 10000}
    log("\n".join(summary))
    log(f"fuzz: {requests} requests in {seconds:.0f} s, by status {codes}; server alive {alive}, exit {status}: "
        f"{'passed' if result['passed'] else 'FAILED'}")
    if not result["passed"]:
        log(done.stdout[-4000:] + "\n" + stderr[-2000:])
    return result


def openclip_environment():
    import open_clip
    import torch
    import fastapi
    import uvicorn
    return {"torch": torch.__version__, "open_clip": open_clip.__version__, "fastapi": fastapi.__version__,
            "uvicorn": uvicorn.__version__, "python": platform.python_version()}


def kept_environment():
    return {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "GLIBC_TUNABLES", "OMP_NUM_THREADS") if k in os.environ}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["bench", "soak", "fuzz"])
    p.add_argument("--clipforge", required=True)
    p.add_argument("--vocab", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="shorter runs (a smoke run, not for figures)")
    p.add_argument("--minutes", type=float, default=10, help="soak: how long")
    p.add_argument("--examples", type=int, default=2000, help="fuzz: schemathesis examples per operation")
    p.add_argument("--out", help="also write the JSON here")
    a = p.parse_args()
    result = {"bench": bench, "soak": soak, "fuzz": fuzz}[a.mode](a)
    text = json.dumps(result, indent=1)
    print(text)
    if a.out:
        write(a.out, text + "\n")
    if a.mode != "bench" and not result["passed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
