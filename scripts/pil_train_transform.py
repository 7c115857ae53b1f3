#!/usr/bin/python3
"""OpenCLIP's image pipeline for training (PIL decode + train transform), timed on one core, for
side-by-side figures with `clipforge bench data`.

torchvision is not installed here, so this reproduces what OpenCLIP's train transform does with
PIL and torch alone: RandomResizedCrop(scale=(0.9, 1.0)) with torchvision's parameter sampling,
bicubic resize of the crop (PIL, antialiased), ToTensor, Normalize with the CLIP mean and std.
`--draft` adds PIL's reduced-size JPEG decoding (Image.draft), which OpenCLIP does not use.

  /usr/bin/python3 scripts/pil_train_transform.py make DIR     # writes DIR/640x480/*.tar, DIR/1024x768/*.tar
  /usr/bin/python3 scripts/pil_train_transform.py time DIR     # PIL images/s per set, JSON
  clipforge --threads 1 bench data 'DIR/640x480/{0..3}.tar' --threads 1,2   # the same files, clipforge

Development tool: clipforge never needs Python.
"""
import argparse
import io
import json
import math
import os
import random
import tarfile
import time

import numpy as np
import torch
from PIL import Image, ImageDraw

SIZES = [(640, 480), (1024, 768)]
MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(3, 1, 1)


def synthetic_photo(width, height, rng):
    """Shading, soft-edged discs and noise, so JPEG size and decode cost resemble a photo."""
    hue = rng.randrange(256)
    x = np.arange(width)[None, :]
    y = np.arange(height)[:, None]
    image = np.stack(np.broadcast_arrays((x * 255 // width + hue) & 255, y * 255 // height + 0 * x,
                                         ((x + y + hue) // 8) & 255), -1).astype(np.uint8)
    picture = Image.fromarray(image)
    draw = ImageDraw.Draw(picture)
    for _ in range(40):
        cx, cy, r = rng.randrange(width), rng.randrange(height), 5 + rng.randrange(width // 6)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    noisy = np.asarray(picture).astype(np.int16) + np.random.default_rng(rng.randrange(1 << 30)).normal(0, 12, image.shape).astype(np.int16)
    out = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


def make(root, count, per_shard=64):
    rng = random.Random(0)
    for width, height in SIZES:
        folder = os.path.join(root, f"{width}x{height}")
        os.makedirs(folder, exist_ok=True)
        for shard in range((count + per_shard - 1) // per_shard):
            with tarfile.open(os.path.join(folder, f"{shard}.tar"), "w") as tar:
                for i in range(shard * per_shard, min(count, (shard + 1) * per_shard)):
                    for suffix, data in ((".jpg", synthetic_photo(width, height, rng)),
                                         (".txt", f"a synthetic photo number {i}".encode())):
                        info = tarfile.TarInfo(f"{i:06d}{suffix}")
                        info.size = len(data)
                        tar.addfile(info, io.BytesIO(data))
        print(folder, (count + per_shard - 1) // per_shard, "shards")


def random_resized_crop_params(width, height, rng, scale=(0.9, 1.0), ratio=(3 / 4, 4 / 3)):
    """torchvision's RandomResizedCrop.get_params: (left, top, crop width, crop height)."""
    area = width * height
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(*log_ratio))
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            return rng.randint(0, width - w), rng.randint(0, height - h), w, h
    side = min(width, height)
    return (width - side) // 2, (height - side) // 2, side, side


def train_transform(jpeg, size, rng, draft):
    image = Image.open(io.BytesIO(jpeg))
    if draft:
        image.draft("RGB", (size, size))
    image = image.convert("RGB")
    left, top, w, h = random_resized_crop_params(image.width, image.height, rng)
    image = image.resize((size, size), Image.BICUBIC, box=(left, top, left + w, top + h))
    tensor = torch.from_numpy(np.array(image)).permute(2, 0, 1).float().div(255)
    return (tensor - MEAN) / STD


def time_sets(root, size, rounds):
    torch.set_num_threads(1)
    results = []
    for width, height in SIZES:
        folder = os.path.join(root, f"{width}x{height}")
        jpegs = []
        for name in sorted(os.listdir(folder), key=lambda n: int(n.split(".")[0])):
            with tarfile.open(os.path.join(folder, name)) as tar:
                jpegs += [tar.extractfile(m).read() for m in tar.getmembers() if m.name.endswith(".jpg")]
        row = {"images": f"{width}x{height}", "count": len(jpegs), "folder": folder}
        for draft in (False, True):
            rates = []
            for r in range(rounds):
                rng = random.Random(r)
                start = time.perf_counter()
                for jpeg in jpegs:
                    train_transform(jpeg, size, rng, draft)
                rates.append(len(jpegs) / (time.perf_counter() - start))
            row["pil_draft_per_s" if draft else "pil_per_s"] = sorted(rates)[len(rates) // 2]
        results.append(row)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["make", "time"])
    parser.add_argument("dir")
    parser.add_argument("--images", type=int, default=256, help="images per size (make)")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes per figure; the median is printed")
    args = parser.parse_args()
    if args.command == "make":
        make(args.dir, args.images)
        return
    print(json.dumps({"implementation": "PIL " + Image.__version__ + " + torch " + torch.__version__,
                      "threads": 1, "image_size": args.image_size,
                      "results": time_sets(args.dir, args.image_size, args.rounds)}, indent=2))


if __name__ == "__main__":
    main()
