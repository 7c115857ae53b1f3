#!/usr/bin/python3
"""The training step of `clipforge bench train`, written in plain PyTorch, for side-by-side figures.

OpenCLIP itself cannot be installed on machines without internet; this builds the same
computation from the modules OpenCLIP uses (nn.MultiheadAttention, LayerNorm, Linear, GELU or
QuickGELU, a bias-free patch Conv2d), with the symmetric InfoNCE loss and AdamW with OpenCLIP's
weight-decay grouping, fp32, on synthetic inputs. ViT configs only. Development tool: clipforge
never needs Python.

  /usr/bin/python3 scripts/pytorch_train_step.py models/ViT-B-32.json --batch 32 --threads 2
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, mlp_ratio, activation):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(width)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), activation(), nn.Linear(hidden, width))

    def forward(self, x, mask=None):
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Clip(nn.Module):
    def __init__(self, config):
        super().__init__()
        vision, text, embed = config["vision_cfg"], config["text_cfg"], config["embed_dim"]
        activation = QuickGELU if config.get("quick_gelu") else nn.GELU
        width, patch = vision["width"], vision["patch_size"]
        tokens = (vision["image_size"] // patch) ** 2 + 1
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(width) * width**-0.5)
        self.positional_embedding = nn.Parameter(torch.randn(tokens, width) * 0.01)
        self.ln_pre = nn.LayerNorm(width)
        heads = width // vision.get("head_width", 64)
        self.visual_blocks = nn.ModuleList(
            Block(width, heads, vision.get("mlp_ratio", 4.0), activation) for _ in range(vision["layers"]))
        self.ln_post = nn.LayerNorm(width)
        self.visual_proj = nn.Parameter(torch.randn(width, embed) * width**-0.5)
        text_width, context = text["width"], text["context_length"]
        self.token_embedding = nn.Embedding(text["vocab_size"], text_width)
        self.text_positional_embedding = nn.Parameter(torch.randn(context, text_width) * 0.01)
        self.text_blocks = nn.ModuleList(
            Block(text_width, text["heads"], 4.0, activation) for _ in range(text["layers"]))
        self.ln_final = nn.LayerNorm(text_width)
        self.text_projection = nn.Parameter(torch.randn(text_width, embed) * text_width**-0.5)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.register_buffer("causal_mask", torch.full((context, context), float("-inf")).triu_(1))

    def encode_image(self, images):
        x = self.conv1(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(x.shape[0], 1, -1), x], 1) + self.positional_embedding
        x = self.ln_pre(x)
        for block in self.visual_blocks:
            x = block(x)
        return self.ln_post(x[:, 0]) @ self.visual_proj

    def encode_text(self, tokens):
        x = self.token_embedding(tokens) + self.text_positional_embedding
        for block in self.text_blocks:
            x = block(x, self.causal_mask)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), tokens.argmax(-1)] @ self.text_projection


def loaded_blas():
    """The BLAS shared object actually mapped into this process (the build config says "generic")."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return sorted(paths)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--caption-tokens", type=int, default=15)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    config = json.load(open(args.config))
    model = Clip(config)
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW([{"params": no_decay, "weight_decay": 0.0}, {"params": decay, "weight_decay": 0.2}],
                                  lr=5e-4, betas=(0.9, 0.98), eps=1e-6)
    size, text = config["vision_cfg"]["image_size"], config["text_cfg"]
    images = torch.randn(args.batch, 3, size, size)
    tokens = torch.zeros(args.batch, text["context_length"], dtype=torch.long)
    length = min(args.caption_tokens, text["context_length"] - 2)
    tokens[:, 0] = text["vocab_size"] - 2
    tokens[:, 1:length + 1] = torch.randint(1, text["vocab_size"] - 2, (args.batch, length))
    tokens[:, length + 1] = text["vocab_size"] - 1  # end of text: the largest id, where argmax pools
    labels = torch.arange(args.batch)

    optimizer_seconds = []

    def step():
        image_features = F.normalize(model.encode_image(images), dim=-1)
        text_features = F.normalize(model.encode_text(tokens), dim=-1)
        logits = model.logit_scale.exp() * image_features @ text_features.t()
        loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
        optimizer.zero_grad()
        loss.backward()
        start = time.perf_counter()
        optimizer.step()
        optimizer_seconds.append(time.perf_counter() - start)

    for _ in range(args.warmup):
        step()
    seconds = []
    for _ in range(args.iters):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    median = sorted(seconds)[len(seconds) // 2]
    optimizer_median = sorted(optimizer_seconds[-args.iters:])[args.iters // 2]
    print(json.dumps({"implementation": "pytorch", "torch": torch.__version__, "config": args.config,
                      "batch": args.batch, "threads": torch.get_num_threads(),
                      "blas": loaded_blas(),
                      "samples_per_s": args.batch / median, "step_s": seconds,
                      "optimizer_s": optimizer_median, "optimizer_share": optimizer_median / median,
                      "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}, indent=2))


if __name__ == "__main__":
    main()
