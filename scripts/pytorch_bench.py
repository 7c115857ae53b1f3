#!/usr/bin/python3
"""`clipforge bench train` and `clipforge bench model`, written in plain PyTorch, for side-by-side figures.

OpenCLIP itself cannot be installed on machines without internet; this builds the same
computation from the modules OpenCLIP uses (nn.MultiheadAttention, LayerNorm, Linear, GELU or
QuickGELU, a bias-free patch Conv2d; for ModifiedResNet configs Conv2d/BatchNorm2d bottlenecks
and an attention-pool head through F.multi_head_attention_forward), fp32, on synthetic inputs.

  train: forward, symmetric InfoNCE, backward and AdamW with OpenCLIP's weight-decay grouping.
  model: encode_image and encode_text under torch.no_grad() in eval mode, as OpenCLIP's inference
         runs them (so the vision tower takes nn.MultiheadAttention's fast path, as it does there).

Development tool: clipforge never needs Python.

  /usr/bin/python3 scripts/pytorch_bench.py train models/ViT-B-32.json --batch 32 --threads 2
  /usr/bin/python3 scripts/pytorch_bench.py model models/RN50.json --batch 64 --threads 2
"""
import argparse
import json
import math
import platform
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


class VisionTransformer(nn.Module):
    def __init__(self, vision, embed, activation):
        super().__init__()
        width, patch = vision["width"], vision["patch_size"]
        tokens = (vision["image_size"] // patch) ** 2 + 1
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(width) * width**-0.5)
        self.positional_embedding = nn.Parameter(torch.randn(tokens, width) * 0.01)
        self.ln_pre = nn.LayerNorm(width)
        heads = width // vision.get("head_width", 64)
        self.blocks = nn.ModuleList(
            Block(width, heads, vision.get("mlp_ratio", 4.0), activation) for _ in range(vision["layers"]))
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.randn(width, embed) * width**-0.5)

    def forward(self, images):
        x = self.conv1(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(x.shape[0], 1, -1), x], 1) + self.positional_embedding
        x = self.ln_pre(x)
        for block in self.blocks:
            x = block(x)
        return self.ln_post(x[:, 0]) @ self.proj


def conv_bn(inputs, outputs, kernel):
    return nn.Sequential(nn.Conv2d(inputs, outputs, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(outputs))


class Bottleneck(nn.Module):
    """1x1, 3x3, average pool when strided, 1x1 (x4); the shortcut pools then projects."""

    def __init__(self, inputs, planes, stride):
        super().__init__()
        self.branch = nn.Sequential(
            conv_bn(inputs, planes, 1), nn.ReLU(inplace=True), conv_bn(planes, planes, 3), nn.ReLU(inplace=True),
            nn.AvgPool2d(stride) if stride > 1 else nn.Identity(), conv_bn(planes, planes * 4, 1))
        self.shortcut = nn.Identity()
        if stride > 1 or inputs != planes * 4:
            self.shortcut = nn.Sequential(nn.AvgPool2d(stride), conv_bn(inputs, planes * 4, 1))

    def forward(self, x):
        return F.relu(self.branch(x) + self.shortcut(x))


class ModifiedResNet(nn.Module):
    def __init__(self, vision, embed):
        super().__init__()
        width, layers, size = vision["width"], vision["layers"], vision["image_size"]
        stem = []
        for inputs, outputs, stride in ((3, width // 2, 2), (width // 2, width // 2, 1), (width // 2, width, 1)):
            stem += [nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False), nn.BatchNorm2d(outputs), nn.ReLU(inplace=True)]
        self.stem = nn.Sequential(*stem, nn.AvgPool2d(2))
        blocks, inputs = [], width
        for index, count in enumerate(layers):
            planes = width * 2**index
            for block in range(count):
                blocks.append(Bottleneck(inputs, planes, 2 if index > 0 and block == 0 else 1))
                inputs = planes * 4
        self.blocks = nn.Sequential(*blocks)
        channels, cells = width * 32, (size // 32) ** 2
        self.heads = channels // vision.get("head_width", 64)
        self.positional_embedding = nn.Parameter(torch.randn(cells + 1, channels) / channels**0.5)
        self.q_proj, self.k_proj, self.v_proj = (nn.Linear(channels, channels) for _ in range(3))
        self.c_proj = nn.Linear(channels, embed)

    def forward(self, images):
        x = self.blocks(self.stem(images)).flatten(2).permute(2, 0, 1)  # [cells, batch, channels]
        x = torch.cat([x.mean(0, keepdim=True), x]) + self.positional_embedding[:, None]
        x, _ = F.multi_head_attention_forward(
            query=x[:1], key=x, value=x, embed_dim_to_check=x.shape[-1], num_heads=self.heads,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight,
            in_proj_weight=None, in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
            out_proj_weight=self.c_proj.weight, out_proj_bias=self.c_proj.bias,
            use_separate_proj_weight=True, training=self.training, need_weights=False)
        return x.squeeze(0)


class Clip(nn.Module):
    def __init__(self, config):
        super().__init__()
        vision, text, embed = config["vision_cfg"], config["text_cfg"], config["embed_dim"]
        activation = QuickGELU if config.get("quick_gelu") else nn.GELU
        if isinstance(vision["layers"], list):
            self.visual = ModifiedResNet(vision, embed)
        else:
            self.visual = VisionTransformer(vision, embed, activation)
        text_width, context = text["width"], text["context_length"]
        self.token_embedding = nn.Embedding(text["vocab_size"], text_width)
        self.positional_embedding = nn.Parameter(torch.randn(context, text_width) * 0.01)
        self.blocks = nn.ModuleList(Block(text_width, text["heads"], 4.0, activation) for _ in range(text["layers"]))
        self.ln_final = nn.LayerNorm(text_width)
        self.text_projection = nn.Parameter(torch.randn(text_width, embed) * text_width**-0.5)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        self.register_buffer("causal_mask", torch.full((context, context), float("-inf")).triu_(1))

    def encode_image(self, images):
        return self.visual(images)

    def encode_text(self, tokens):
        x = self.token_embedding(tokens) + self.positional_embedding
        for block in self.blocks:
            x = block(x, self.causal_mask)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), tokens.argmax(-1)] @ self.text_projection


def token_batch(batch, text, length):
    """Start, `length` random ids, end of text (the largest id, where argmax pools), zero padding."""
    length = min(length, text["context_length"] - 2)
    tokens = torch.zeros(batch, text["context_length"], dtype=torch.long)
    tokens[:, 0] = text["vocab_size"] - 2
    tokens[:, 1:length + 1] = torch.randint(1, text["vocab_size"] - 2, (batch, length))
    tokens[:, length + 1] = text["vocab_size"] - 1
    return tokens


def timed(warmup, iters, call):
    for _ in range(warmup):
        call()
    seconds = []
    for _ in range(iters):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return seconds


def median(values):
    return sorted(values)[len(values) // 2]


def loaded_blas():
    """The BLAS shared object actually mapped into this process (the build config says "generic")."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    return sorted(paths)


def train(args, model, images, tokens):
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    optimizer = torch.optim.AdamW([{"params": no_decay, "weight_decay": 0.0}, {"params": decay, "weight_decay": 0.2}],
                                  lr=5e-4, betas=(0.9, 0.98), eps=1e-6)
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

    seconds = timed(args.warmup, args.iters, step)
    optimizer_median = median(optimizer_seconds[-args.iters:])
    return {"samples_per_s": args.batch / median(seconds), "step_s": seconds,
            "optimizer_s": optimizer_median, "optimizer_share": optimizer_median / median(seconds)}


def inference(args, config, model, images, tokens):
    full = token_batch(args.batch, config["text_cfg"], config["text_cfg"]["context_length"])
    model.eval()
    results = {}
    with torch.no_grad():
        for name, call in (("encode_image", lambda: model.encode_image(images)),
                           ("encode_text_captions", lambda: model.encode_text(tokens)),
                           ("encode_text_full_context", lambda: model.encode_text(full))):
            seconds = timed(args.warmup, args.iters, call)
            results[name] = {"per_s": args.batch / median(seconds), "batch_s": seconds}
    results["encode_text_caption_tokens"] = args.caption_tokens + 2
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("train", "model"))
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
    size = config["vision_cfg"]["image_size"]
    images = torch.randn(args.batch, 3, size, size)
    tokens = token_batch(args.batch, config["text_cfg"], args.caption_tokens)
    if args.mode == "train":
        results = train(args, model, images, tokens)
    else:
        results = inference(args, config, model, images, tokens)
    print(json.dumps({"implementation": "pytorch", "mode": args.mode, "torch": torch.__version__,
                      "config": args.config, "batch": args.batch, "threads": torch.get_num_threads(),
                      "blas": loaded_blas(), "cpu": platform.processor() or platform.machine(),
                      **results, "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20},
                     indent=2))


if __name__ == "__main__":
    main()
