"""torchmetrics' CLIPScore on an HF folder, run by test_torchmetrics.py in a process of its own
(transformers 4 first on PYTHONPATH: see scripts/requirements-transformers4.txt).

  python torchmetrics_clip_score.py HF_DIR PAIRS_JSON   # PAIRS_JSON: [[image.png, caption], ...]

Prints JSON: each pair's score through the functional clip_score (one pair per call, so its clamp
is per sample), and the CLIPScore metric over all pairs in one update (its clamp is of the mean).
"""
import json
import sys

import numpy as np
import torch
import transformers
from PIL import Image
from torchmetrics.functional.multimodal import clip_score
from torchmetrics.multimodal import CLIPScore


def main():
    hf_dir, pairs_path = sys.argv[1], sys.argv[2]
    with open(pairs_path) as f:
        pairs = json.load(f)
    model = transformers.CLIPModel.from_pretrained(hf_dir).eval()
    processor = transformers.CLIPProcessor.from_pretrained(hf_dir)
    load = lambda: (model, processor)  # torchmetrics takes a callable in place of a hub name
    images = [torch.from_numpy(np.array(Image.open(path).convert("RGB"))).permute(2, 0, 1) for path, _ in pairs]
    captions = [caption for _, caption in pairs]
    with torch.no_grad():
        per_sample = [clip_score(image, caption, model_name_or_path=load).item() for image, caption in zip(images, captions)]
        metric = CLIPScore(model_name_or_path=load)
        metric.update(images, captions)
        batch = metric.compute().item()
    print(json.dumps({"transformers": transformers.__version__, "per_sample": per_sample, "batch": batch}))


if __name__ == "__main__":
    main()
