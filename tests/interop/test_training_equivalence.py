"""Ten training steps of clipforge equal ten steps of OpenCLIP's own training pieces (its
ClipLoss, AdamW parameter groups, cosine_lr with warmup, gradient clipping, logit_scale clamp)
from the same initial weights on the same batches, fp32, one process."""
import io
import json
import math
import os
import tarfile

import numpy as np
import open_clip
import torch
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


def write_shard(path):
    with tarfile.open(path, "w") as tar:
        for key, image, caption in samples():
            png = io.BytesIO()
            image.save(png, "PNG")
            for ext, data in (("png", png.getvalue()), ("txt", caption.encode())):
                info = tarfile.TarInfo(f"{key}.{ext}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


def openclip_steps(model, vocab):
    """OpenCLIP's training step as open_clip_train runs it, on the whole shard as one batch."""
    preprocess = open_clip.image_transform(CONFIG["vision_cfg"]["image_size"], is_train=False)
    tokenizer = open_clip.tokenizer.SimpleTokenizer(bpe_path=vocab, context_length=CONFIG["text_cfg"]["context_length"])
    data = list(samples())
    images = torch.stack([preprocess(image) for _, image, _ in data])
    texts = tokenizer([caption for _, _, caption in data])
    exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n  # open_clip_train/main.py
    named = list(model.named_parameters())
    optimizer = torch.optim.AdamW([{"params": [p for n, p in named if exclude(n, p)], "weight_decay": 0.0},
                                   {"params": [p for n, p in named if not exclude(n, p)], "weight_decay": WD}],
                                  lr=LR, betas=(0.9, 0.98), eps=1e-6)
    scheduler = cosine_lr(optimizer, LR, WARMUP, STEPS)
    loss_fn = ClipLoss()
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
            model.logit_scale.clamp_(0, math.log(100))
        losses.append(loss.item())
    return losses


def test_ten_training_steps_equal_openclip(clipforge, tmp_path):
    torch.manual_seed(3)
    config_path = write_config(str(tmp_path), "cf_interop_train", CONFIG)
    open_clip.add_model_config(config_path)
    model = open_clip.create_model("cf_interop_train", pretrained=None)
    init = str(tmp_path / "init.safetensors")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, init)
    shard = str(tmp_path / "00000.tar")
    write_shard(shard)
    vocab = open_clip.tokenizer.default_bpe()

    # One step per epoch, the whole shard: the batch's order (a seeded shuffle in clipforge) does
    # not change the loss, only float summation order.
    out = clipforge("train", "--model", config_path, "--pretrained", init, "--vocab", vocab, "--train-data", shard,
                    "--batch-size", BATCH, "--epochs", STEPS, "--lr", LR, "--wd", WD, "--warmup", WARMUP,
                    "--grad-clip-norm", CLIP_NORM, "--scale", 1, 1, "--precision", "fp32", "--workers", 1,
                    "--threads", 1, "--log-every-n-steps", 1, "--logs", tmp_path / "runs", "--name", "run")
    result = json.loads(out)
    with open(tmp_path / "runs" / "run" / "metrics.jsonl") as f:
        ours = [json.loads(line)["loss"] for line in f if '"loss"' in line]
    theirs = openclip_steps(model, vocab)
    assert len(ours) == STEPS
    relative = [abs(a - b) / abs(b) for a, b in zip(ours, theirs)]
    assert max(relative) < 1e-4, f"per-step losses: clipforge {ours}, OpenCLIP {theirs}"

    final = load_file(result["weights"])
    worst, where = 0.0, ""
    for name, theirs_tensor in model.state_dict().items():
        difference = (final[name] - theirs_tensor).norm().item() / max(theirs_tensor.norm().item(), 1e-12)
        if difference > worst:
            worst, where = difference, name
    print(f"worst per-step loss relative difference {max(relative):.2e}, final parameters {worst:.2e} ({where})")
    assert worst < 1e-3, f"final parameters: relative difference {worst:.2e} in {where}"
