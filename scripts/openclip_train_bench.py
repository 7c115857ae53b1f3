"""OpenCLIP's own training step timed as clipforge's gpu_check times its own: the real
open_clip_torch model and ClipLoss, torch.optim.AdamW with OpenCLIP's weight-decay groups, the same
random batch shape (captions of 4-20 tokens padded to the context length), one JSON line.

  python3 scripts/openclip_train_bench.py --model ViT-B-32 --batch 256 --precision bf16 --iters 20

On CUDA it sets what OpenCLIP's training script sets: TF32 matmuls and convolutions, cuDNN
benchmark mode; precision bf16 is its --precision amp_bf16 (autocast, fp32 weights).
"""
import argparse
import json
import time

import open_clip
import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="ViT-B-32")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--precision", choices=["fp32", "bf16"], default="bf16")
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--device", default="cuda")
    a = p.parse_args()
    device = torch.device(a.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(51)
    model = open_clip.create_model(a.model, device=device)
    model.train()
    exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n
    named = list(model.named_parameters())
    optimizer = torch.optim.AdamW(
        [{"params": [p for n, p in named if exclude(n, p)], "weight_decay": 0.0},
         {"params": [p for n, p in named if not exclude(n, p)], "weight_decay": 0.2}],
        lr=5e-4, betas=(0.9, 0.98), eps=1e-6)
    loss_fn = open_clip.ClipLoss()
    size = model.visual.image_size if isinstance(model.visual.image_size, int) else model.visual.image_size[0]
    context, vocab = model.context_length, model.vocab_size
    images = torch.randn(a.batch, 3, size, size, device=device)
    tokens = torch.zeros(a.batch, context, dtype=torch.long)
    for i in range(a.batch):
        length = 4 + i % 17
        tokens[i, : length - 1] = torch.randint(1, vocab - 1, (length - 1,))
        tokens[i, length - 1] = vocab - 1
    tokens = tokens.to(device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            image_features, text_features, logit_scale = model(images, tokens)
            loss = loss_fn(image_features, text_features, logit_scale)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(a.iters):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    print(json.dumps({"benchmark": "openclip train step", "model": a.model, "batch": a.batch,
                      "precision": a.precision, "iterations": a.iters,
                      "samples_per_s": a.batch * a.iters / seconds, "device": str(device),
                      "torch": torch.__version__, "open_clip": open_clip.__version__,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
