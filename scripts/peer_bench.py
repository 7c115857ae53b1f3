"""clipforge beside the real OpenCLIP, both measured in this run: the two sides alternate round by
round on the same machine, torch version, thread count and environment, and a ratio is printed
only from figures measured here. scripts/peer_bench.sh sets the environment and picks the pair.

  python scripts/peer_bench.py --clipforge build-torch2/src/cli/clipforge --vocab V [--threads 2]
         [--rows train,inference,tokenizer,data] [--rounds 2] [--quick] [--out results.json]

Rows (fp32, synthetic inputs as `clipforge bench` makes them):
  train      forward + symmetric InfoNCE + backward + AdamW (OpenCLIP: its model, ClipLoss, AdamW with
             open_clip_train's weight-decay groups): the tiny config of ../shared/design/bench-configs
             at batch 64 and ViT-B-32 at batch 32, captions of 15 BPE tokens and of the full context
  inference  encode_image and encode_text (OpenCLIP under torch.inference_mode(), eval mode):
             ViT-B-32 and RN50 at batch 1 and 64
  tokenizer  10,000 generated captions (clipforge writes the ones it timed; OpenCLIP's SimpleTokenizer
             times the same): batch with a cold and a warm cache, one caption per call
  data       JPEG shards written here (640x480 and 1024x768, quality 90): clipforge's loader on one
             thread against OpenCLIP's PIL pipeline on one core (tar read, PIL decode, its train
             transform, its tokenizer), the same files

Each side runs in a process of its own per figure (`python peer_bench.py openclip ...` is the
OpenCLIP side), under the OpenMP wait policy a probe found faster for it (choose_wait_policies).
Development tool: clipforge never needs Python.
"""
import argparse
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TINY = os.path.join(ROOT, "..", "shared", "design", "bench-configs", "tiny-ViT-p8-64.json")
IMAGE_SIZES = [(640, 480), (1024, 768)]
ROWS = ("train", "inference", "tokenizer", "data")


# ---------------------------------------------------------------- the OpenCLIP side (a child process)

def openclip_model(config_path, device="cpu"):
    import open_clip
    open_clip.add_model_config(config_path)  # registered under the file's stem
    return open_clip.create_model(os.path.splitext(os.path.basename(config_path))[0], pretrained=None, device=device)


def token_rows(batch, context, vocab, length, torch):
    """As `clipforge bench`: start, `length` ids, end-of-text, zero padding."""
    length = min(length, context - 2)
    tokens = torch.zeros(batch, context, dtype=torch.long)
    tokens[:, 0] = vocab - 2
    tokens[:, 1:length + 1] = torch.randint(1, vocab - 2, (batch, length))
    tokens[:, length + 1] = vocab - 1
    return tokens


def timed(warmup, iterations, fn):
    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def openclip_train(a):
    import open_clip
    import torch
    torch.manual_seed(0)
    model = openclip_model(a.model)
    model.train()
    # open_clip_train's groups: no weight decay on gains, biases and logit_scale.
    exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n
    named = list(model.named_parameters())
    optimizer = torch.optim.AdamW([{"params": [p for n, p in named if exclude(n, p)], "weight_decay": 0.0},
                                   {"params": [p for n, p in named if not exclude(n, p)], "weight_decay": 0.2}],
                                  lr=5e-4, betas=(0.9, 0.98), eps=1e-6)
    loss_fn = open_clip.ClipLoss()
    size = model.visual.image_size
    size = size if isinstance(size, int) else size[0]
    images = torch.randn(a.batch, 3, size, size)
    tokens = token_rows(a.batch, model.context_length, model.vocab_size, a.caption_tokens, torch)

    def step():
        optimizer.zero_grad(set_to_none=True)
        image_features, text_features, logit_scale = model(images, tokens)[:3]
        loss_fn(image_features, text_features, logit_scale).backward()
        optimizer.step()

    return {"samples_per_s": a.batch / timed(a.warmup, a.iters, step)}


def openclip_inference(a):
    import torch
    torch.manual_seed(0)
    model = openclip_model(a.model).eval()
    size = model.visual.image_size
    size = size if isinstance(size, int) else size[0]
    images = torch.randn(a.batch, 3, size, size)
    captions = token_rows(a.batch, model.context_length, model.vocab_size, a.caption_tokens, torch)
    full = token_rows(a.batch, model.context_length, model.vocab_size, model.context_length, torch)
    with torch.inference_mode():
        return {"encode_image": a.batch / timed(a.warmup, a.iters, lambda: model.encode_image(images)),
                "encode_text_captions": a.batch / timed(a.warmup, a.iters, lambda: model.encode_text(captions)),
                "encode_text_full_context": a.batch / timed(a.warmup, a.iters, lambda: model.encode_text(full))}


def openclip_tokenizer(a):
    import open_clip
    with open(a.captions, encoding="utf-8") as f:
        captions = f.read().split("\n")[:-1]
    tokenizer = open_clip.tokenizer.SimpleTokenizer(bpe_path=a.vocab)
    fresh_cache = dict(tokenizer.cache)  # the special tokens only

    def rate(pass_, before=lambda: None):
        rates = []
        for _ in range(a.repeats):
            before()
            start = time.perf_counter()
            pass_()
            rates.append(len(captions) / (time.perf_counter() - start))
        return statistics.median(rates)

    batch = lambda: tokenizer(captions)
    cold = rate(batch, lambda: setattr(tokenizer, "cache", dict(fresh_cache)))
    batch()
    return {"batch_cold_cache": cold, "batch_warm_cache": rate(batch),
            "one_caption_per_call_warm_cache": rate(lambda: [tokenizer(c) for c in captions])}


def openclip_data(a):
    import open_clip
    import torch
    from PIL import Image
    transform = open_clip.image_transform(a.image_size, is_train=True)
    tokenizer = open_clip.tokenizer.SimpleTokenizer(bpe_path=a.vocab)
    shards = sorted(os.path.join(a.folder, n) for n in os.listdir(a.folder) if n.endswith(".tar"))
    rates = []
    for epoch in range(a.epochs):
        random.seed(epoch)
        torch.manual_seed(epoch)
        start, count = time.perf_counter(), 0
        for shard in shards:
            with tarfile.open(shard) as tar:
                members = {m.name: m for m in tar.getmembers()}
                for name in sorted(members):
                    if not name.endswith(".jpg"):
                        continue
                    image = Image.open(io.BytesIO(tar.extractfile(members[name]).read()))
                    caption = tar.extractfile(members[name[:-4] + ".txt"]).read().decode()
                    transform(image)
                    tokenizer(caption)
                    count += 1
        rates.append(count / (time.perf_counter() - start))
    return {"samples_per_s": statistics.median(rates)}


def openclip_environment(threads):
    import open_clip
    import PIL
    import torch
    config = torch.__config__.show()
    blas = next((part.split("=", 1)[1] for part in config.replace(",", "\n").split() if part.startswith("BLAS_INFO=")), "?")
    return {"torch": torch.__version__, "open_clip": open_clip.__version__, "pillow": PIL.__version__,
            "python": platform.python_version(), "intra_op_threads": threads, "blas_info": blas,
            "cpu_capability": torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "?",
            "mkldnn": torch.backends.mkldnn.is_available()}


def openclip_side(argv):
    p = argparse.ArgumentParser(prog="peer_bench.py openclip")
    p.add_argument("row", choices=["train", "inference", "tokenizer", "data", "environment"])
    p.add_argument("--model")
    p.add_argument("--batch", type=int)
    p.add_argument("--caption-tokens", type=int, default=15)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--captions")
    p.add_argument("--vocab")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--folder")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--epochs", type=int, default=3)
    a = p.parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    run = {"train": openclip_train, "inference": openclip_inference, "tokenizer": openclip_tokenizer,
           "data": openclip_data, "environment": lambda a: openclip_environment(a.threads)}[a.row]
    print(json.dumps(run(a)))


# ---------------------------------------------------------------- the driver

def run_json(command, env=None):
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"peer_bench: {' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-1500:]}")
    return json.loads(done.stdout)


def synthetic_photo(width, height, rng):
    """Shading, discs and noise, so that JPEG size and decode cost resemble a photo."""
    import numpy as np
    from PIL import Image, ImageDraw
    hue = rng.randrange(256)
    x, y = np.arange(width)[None, :], np.arange(height)[:, None]
    channels = np.broadcast_arrays((x * 255 // width + hue) & 255, y * 255 // height + 0 * x, ((x + y + hue) // 8) & 255)
    picture = Image.fromarray(np.stack(channels, -1).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    for _ in range(40):
        cx, cy, r = rng.randrange(width), rng.randrange(height), 5 + rng.randrange(width // 6)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 12, (height, width, 3))
    out = io.BytesIO()
    Image.fromarray(np.clip(np.asarray(picture) + noise, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


def write_shards(folder, width, height, count, per_shard=64):
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(width)
    for shard in range((count + per_shard - 1) // per_shard):
        with tarfile.open(os.path.join(folder, f"{shard}.tar"), "w") as tar:
            for i in range(shard * per_shard, min(count, (shard + 1) * per_shard)):
                for suffix, data in ((".jpg", synthetic_photo(width, height, rng)),
                                     (".txt", f"a synthetic photo number {i} of a street at sunset".encode())):
                    info = tarfile.TarInfo(f"{i:06d}{suffix}")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return os.path.join(folder, "{0.." + str((count - 1) // per_shard) + "}.tar")


WAIT_POLICIES = {"default": None, "PASSIVE": "PASSIVE"}


def side_environment(policy, threads):
    """This process's environment with an OpenMP wait policy, and OpenBLAS's own pool held to the
    thread count (clipforge sets it itself; torch.set_num_threads leaves it alone)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    if WAIT_POLICIES[policy]:
        env["OMP_WAIT_POLICY"] = WAIT_POLICIES[policy]
    return env


class Driver:
    def __init__(self, a):
        self.a = a
        self.openclip = [sys.executable, os.path.abspath(__file__), "openclip"]
        self.rows = []
        self.policy, self.probe = {}, {}
        self.choose_wait_policies()

    def choose_wait_policies(self):
        """Each side in its best setting: libgomp's default (idle threads spin a while, then sleep)
        or OMP_WAIT_POLICY=PASSIVE (they sleep at once). Which is faster depends on the BLAS:
        OpenBLAS's own threads and spinning OpenMP ones fight over the cores. Probe: ViT-B-32
        encode_image at batch 1, the policies alternated twice, the better median kept for every row."""
        config = os.path.join(ROOT, "models", "ViT-B-32.json")
        probe = ["--model", config, "--batch", "1", "--warmup", "2", "--iters", "8"]
        threads = str(self.a.threads)
        for side, command, read in (
                ("clipforge", [self.a.clipforge, "--threads", threads, "bench", "model"] + probe,
                 lambda r: r["results"]["encode_image"]["per_s"]),
                ("openclip", self.openclip + ["inference"] + probe + ["--threads", threads], lambda r: r["encode_image"])):
            runs = {policy: [] for policy in WAIT_POLICIES}
            for _ in range(2):
                for policy in WAIT_POLICIES:
                    runs[policy].append(read(run_json(command, side_environment(policy, threads))))
            rates = {policy: statistics.median(r) for policy, r in runs.items()}
            best = max(rates, key=rates.get)
            self.policy[side], self.probe[side] = best, {"images_per_s": runs, "chosen": best}
            print(f"probe      {side:9} OMP wait policy: " + ", ".join(f"{p} {r:.1f}/s" for p, r in rates.items()) +
                  f" -> {best}", file=sys.stderr, flush=True)

    def compare(self, row, what, clipforge_args, clipforge_figures, openclip_args, openclip_figures, unit, threads=None):
        """Alternates the two sides for --rounds rounds; medians and their ratio per figure."""
        threads = str(threads or self.a.threads)
        ours, theirs = {f: [] for f in clipforge_figures}, {f: [] for f in openclip_figures}

        def run_clipforge():
            report = run_json([self.a.clipforge, "--threads", threads] + clipforge_args,
                              side_environment(self.policy["clipforge"], threads))
            for figure, path in clipforge_figures.items():
                value = report
                for key in path:
                    value = value[key]
                ours[figure].append(value)
            # The environment as the first figure ran (the thread count of each row is in the row).
            self.clipforge_environment = getattr(self, "clipforge_environment", None) or report.get("environment")

        def run_openclip():
            result = run_json(self.openclip + openclip_args + ["--threads", threads],
                              side_environment(self.policy["openclip"], threads))
            for figure, key in openclip_figures.items():
                theirs[figure].append(result[key])

        for round_ in range(self.a.rounds):
            # Who goes first alternates, so neither side always runs on a machine the other warmed.
            for run in ((run_clipforge, run_openclip) if round_ % 2 == 0 else (run_openclip, run_clipforge)):
                run()
        for figure in clipforge_figures:
            c, o = statistics.median(ours[figure]), statistics.median(theirs[figure])
            line = {"row": row, "what": what, "figure": figure, "unit": unit, "threads": int(threads), "clipforge": c, "openclip": o,
                    "ratio": c / o, "clipforge_rounds": ours[figure], "openclip_rounds": theirs[figure]}
            self.rows.append(line)
            print(f"{row:10} {what:34} {figure:32} clipforge {c:10.1f}  openclip {o:10.1f}  x{c / o:.2f} {unit}",
                  file=sys.stderr, flush=True)

    def train(self):
        q = self.a.quick
        cases = [(TINY, 64, 2, 3 if q else 8), (os.path.join(ROOT, "models", "ViT-B-32.json"), 32, 1, 2 if q else 4)]
        for config, batch, warmup, iters in cases:
            if not os.path.exists(config):
                print(f"peer_bench: {config} not found: row skipped", file=sys.stderr)
                continue
            name = os.path.splitext(os.path.basename(config))[0]
            for tokens, label in ((15, "captions of 15 tokens"), (75, "full context")):
                common = ["--model", config, "--batch", str(batch), "--warmup", str(warmup), "--iters", str(iters),
                          "--caption-tokens", str(tokens)]
                self.compare("train", f"{name} b{batch}, {label}", ["bench", "train"] + common,
                             {"samples_per_s": ["results", "samples_per_s"]}, ["train"] + common,
                             {"samples_per_s": "samples_per_s"}, "samples/s")

    def inference(self):
        for model in ("ViT-B-32", "RN50"):
            config = os.path.join(ROOT, "models", f"{model}.json")
            for batch, warmup, iters in ((1, 3, 10 if self.a.quick else 20), (64, 1, 2 if self.a.quick else 3)):
                common = ["--model", config, "--batch", str(batch), "--warmup", str(warmup), "--iters", str(iters)]
                self.compare("inference", f"{model} b{batch}", ["bench", "model"] + common,
                             {f: ["results", f, "per_s"] for f in ("encode_image", "encode_text_captions", "encode_text_full_context")},
                             ["inference"] + common, {f: f for f in ("encode_image", "encode_text_captions", "encode_text_full_context")},
                             "per s")

    def tokenizer(self, scratch):
        captions = os.path.join(scratch, "captions.txt")
        modes = ("batch_cold_cache", "batch_warm_cache", "one_caption_per_call_warm_cache")
        self.compare("tokenizer", "10000 generated captions", ["bench", "tokenizer", "--vocab", self.a.vocab,
                                                                 "--captions-out", captions],
                     {m: ["results", m, "captions_per_s"] for m in modes},
                     ["tokenizer", "--vocab", self.a.vocab, "--captions", captions], {m: m for m in modes}, "captions/s",
                     threads=1)

    def data(self, scratch):
        count = 128 if self.a.quick else 256
        for width, height in IMAGE_SIZES:
            folder = os.path.join(scratch, f"{width}x{height}")
            urls = write_shards(folder, width, height, count)
            self.compare("data", f"{width}x{height} JPEG, 1 thread", ["bench", "data", urls,
                                                                      "--threads", "1", "--vocab", self.a.vocab],
                         {"samples_per_s": ["results", "loader", 0, "samples_per_s"]},
                         ["data", "--folder", folder, "--vocab", self.a.vocab], {"samples_per_s": "samples_per_s"},
                         "samples/s", threads=1)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "openclip":
        return openclip_side(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clipforge", required=True, help="the clipforge binary")
    p.add_argument("--vocab", required=True, help="BPE merges file (OpenAI's)")
    p.add_argument("--threads", type=int, default=2, help="intra-op threads of both sides (tokenizer and data: 1)")
    p.add_argument("--rows", default=",".join(ROWS), help="comma-separated, of " + ",".join(ROWS))
    p.add_argument("--rounds", type=int, default=2, choices=range(1, 10), metavar="1-9",
                   help="alternations of the two sides per figure (median; with 2, the mean)")
    p.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run, not for figures)")
    p.add_argument("--out", help="also write the JSON here")
    a = p.parse_args()
    unknown = set(a.rows.split(",")) - set(ROWS)
    if unknown:
        p.error(f"--rows: unknown {', '.join(sorted(unknown))} (known: {', '.join(ROWS)})")
    driver = Driver(a)
    with tempfile.TemporaryDirectory(prefix="clipforge_peer_") as scratch:
        for row in a.rows.split(","):
            if row in ("tokenizer", "data"):
                getattr(driver, row)(scratch)
            else:
                getattr(driver, row)()
    openclip_env = run_json(driver.openclip + ["environment", "--threads", str(a.threads)],
                            side_environment(driver.policy["openclip"], a.threads))
    keep = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "GLIBC_TUNABLES", "OMP_NUM_THREADS") if k in os.environ}
    result = {"benchmark": "peer", "threads": a.threads, "rounds": a.rounds, "quick": a.quick, "process_environment": keep,
              "omp_wait_policy": driver.probe,
              "clipforge_environment": getattr(driver, "clipforge_environment", None), "openclip_environment": openclip_env,
              "rows": driver.rows}
    text = json.dumps(result, indent=1)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
