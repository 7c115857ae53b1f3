"""Ten training steps of clipforge equal ten steps of OpenCLIP's own training pieces (its
ClipLoss, AdamW parameter groups, cosine_lr with warmup, gradient clipping, logit_scale clamp)
from the same initial weights on the same batches, fp32: one process, and 2 Gloo ranks with
OpenCLIP's --local-loss --gather-with-grad under DDP (clipforge's default)."""
import io
import json
import math
import os
import socket
import subprocess
import tarfile

import numpy as np
import open_clip
import torch
import torch.distributed as dist
from open_clip.loss import ClipLoss
from open_clip_train.scheduler import cosine_lr
from PIL import Image
from safetensors.torch import load_file, save_file

from conftest import COLOURS, colour_image, write_config

# Images already at the model's size: OpenCLIP's eval transform and clipforge's random resized
# crop with scale (1, 1) both leave them as they are, so both sides see the same pixels.
CONFIG = {"embed_dim": 32, "quick_gelu": False,
          "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32},
          "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}}
STEPS, BATCH, LR, WD, WARMUP, CLIP_NORM = 10, 16, 1e-3, 0.2, 3, 1.0
SHAPES = ["square", "circle", "star", "cross"]


def samples():
    names = sorted(COLOURS)
    for i in range(BATCH):
        yield f"{i:04d}", colour_image(names[i % 4], 300 + i, 32, 32), f"a {names[i % 4]} {SHAPES[i // 4]}"


def write_shard(path, part=slice(None)):
    with tarfile.open(path, "w") as tar:
        for key, image, caption in list(samples())[part]:
            png = io.BytesIO()
            image.save(png, "PNG")
            for ext, data in (("png", png.getvalue()), ("txt", caption.encode())):
                info = tarfile.TarInfo(f"{key}.{ext}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


def openclip_steps(model, vocab, part=slice(None), loss_fn=None):
    """OpenCLIP's training step as open_clip_train runs it, on `part` of the samples as one batch
    (`model` may be wrapped in DDP). The per-step losses, averaged over ranks when distributed."""
    preprocess = open_clip.image_transform(CONFIG["vision_cfg"]["image_size"], is_train=False)
    tokenizer = open_clip.tokenizer.SimpleTokenizer(bpe_path=vocab, context_length=CONFIG["text_cfg"]["context_length"])
    data = list(samples())[part]
    images = torch.stack([preprocess(image) for _, image, _ in data])
    texts = tokenizer([caption for _, _, caption in data])
    exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n  # open_clip_train/main.py
    named = list(model.named_parameters())
    optimizer = torch.optim.AdamW([{"params": [p for n, p in named if exclude(n, p)], "weight_decay": 0.0},
                                   {"params": [p for n, p in named if not exclude(n, p)], "weight_decay": WD}],
                                  lr=LR, betas=(0.9, 0.98), eps=1e-6)
    scheduler = cosine_lr(optimizer, LR, WARMUP, STEPS)
    loss_fn = loss_fn or ClipLoss()
    losses = []
    model.train()
    for step in range(STEPS):
        scheduler(step)
        optimizer.zero_grad()
        image_features, text_features, logit_scale = model(images, texts)
        loss = loss_fn(image_features, text_features, logit_scale)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM, norm_type=2.0)
        optimizer.step()
        with torch.no_grad():
            getattr(model, "module", model).logit_scale.clamp_(0, math.log(100))
        mean = loss.detach().clone()
        if dist.is_initialized():
            dist.all_reduce(mean)
            mean /= dist.get_world_size()
        losses.append(mean.item())
    return losses


def openclip_rank(rank, port, config_path, init, vocab, result):
    """One of 2 OpenCLIP ranks: DDP, ClipLoss(local_loss, gather_with_grad), half the samples."""
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    open_clip.add_model_config(config_path)
    model = open_clip.create_model(os.path.basename(config_path)[:-5], pretrained=None)
    model.load_state_dict(load_file(init))
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    half = BATCH // 2
    losses = openclip_steps(ddp, vocab, slice(rank * half, (rank + 1) * half),
                            ClipLoss(local_loss=True, gather_with_grad=True, cache_labels=True, rank=rank, world_size=2))
    if rank == 0:
        torch.save({"losses": losses, "state_dict": model.state_dict()}, result)
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def compare(run_folder, result, losses, state_dict):
    with open(os.path.join(run_folder, "metrics.jsonl")) as f:
        ours = [json.loads(line)["loss"] for line in f if '"loss"' in line]
    assert len(ours) == STEPS
    relative = [abs(a - b) / abs(b) for a, b in zip(ours, losses)]
    assert max(relative) < 1e-4, f"per-step losses: clipforge {ours}, OpenCLIP {losses}"
    final = load_file(result["weights"])
    worst, where = 0.0, ""
    for name, theirs in state_dict.items():
        difference = (final[name] - theirs).norm().item() / max(theirs.norm().item(), 1e-12)
        if difference > worst:
            worst, where = difference, name
    print(f"worst per-step loss relative difference {max(relative):.2e}, final parameters {worst:.2e} ({where})")
    assert worst < 1e-3, f"final parameters: relative difference {worst:.2e} in {where}"


def initial_model(tmp_path, name):
    """OpenCLIP's random initialisation of CONFIG, and the same weights as a file for --pretrained."""
    torch.manual_seed(3)
    config_path = write_config(str(tmp_path), name, CONFIG)
    open_clip.add_model_config(config_path)
    model = open_clip.create_model(name, pretrained=None)
    init = str(tmp_path / "init.safetensors")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, init)
    return config_path, model, init


def train_args(config_path, init, vocab, shards, batch, tmp_path, name):
    return ["train", "--model", config_path, "--pretrained", init, "--vocab", vocab, "--train-data", shards,
            "--batch-size", batch, "--epochs", STEPS, "--lr", LR, "--wd", WD, "--warmup", WARMUP,
            "--grad-clip-norm", CLIP_NORM, "--scale", 1, 1, "--precision", "fp32", "--workers", 1,
            "--threads", 1, "--log-every-n-steps", 1, "--logs", tmp_path / "runs", "--name", name]


def test_ten_training_steps_equal_openclip(clipforge, tmp_path):
    config_path, model, init = initial_model(tmp_path, "cf_interop_train")
    shard = str(tmp_path / "00000.tar")
    write_shard(shard)
    vocab = open_clip.tokenizer.default_bpe()
    # One step per epoch, the whole shard: the batch's order (a seeded shuffle in clipforge) does
    # not change the loss, only float summation order.
    result = json.loads(clipforge(*train_args(config_path, init, vocab, shard, BATCH, tmp_path, "run")))
    losses = openclip_steps(model, vocab)
    compare(tmp_path / "runs" / "run", result, losses, model.state_dict())


def test_ten_training_steps_on_two_gloo_ranks_equal_openclip_local_loss_gather_with_grad(clipforge, tmp_path):
    config_path, _, init = initial_model(tmp_path, "cf_interop_train2")
    half = BATCH // 2
    for rank in range(2):
        write_shard(str(tmp_path / f"{rank:05d}.tar"), slice(rank * half, (rank + 1) * half))
    vocab = open_clip.tokenizer.default_bpe()
    # Each rank reads one shard per epoch (which one may change): every rank's local loss is over
    # its rows against all gathered columns, so their mean, and the averaged gradients, do not
    # depend on which rank holds which half.
    port = free_port()
    args = [os.environ["CLIPFORGE_BIN"], *map(str, train_args(config_path, init, vocab, str(tmp_path / "{00000..00001}.tar"),
                                                             half, tmp_path, "run2"))]
    ranks = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, WORLD_SIZE="2", RANK=str(r), LOCAL_RANK=str(r),
                                       MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)))
             for r in range(2)]
    outputs = [rank.communicate(timeout=300) for rank in ranks]
    for rank, (out, err) in zip(ranks, outputs):
        assert rank.returncode == 0, err[-2000:]
    result_path = str(tmp_path / "openclip2.pt")
    torch.multiprocessing.spawn(openclip_rank, args=(free_port(), config_path, init, vocab, result_path), nprocs=2)
    theirs = torch.load(result_path)
    compare(tmp_path / "runs" / "run2", json.loads(outputs[0][0]), theirs["losses"], theirs["state_dict"])
