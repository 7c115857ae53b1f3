"""torchmetrics' CLIPScore against `clipforge score` with the same model (clipforge-trained,
converted to an HF folder for torchmetrics): equal per-sample scores, and the means differ exactly
as docs/rerank.md says (clipforge clamps each pair, torchmetrics the mean)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import COLOURS, colour_image, train_briefly
from test_openclip import VIT

TRANSFORMERS4 = os.path.join(os.path.dirname(sys.executable), "..", "transformers4")
# Within the model's context of 16 tokens: torchmetrics cuts a longer one without its end-of-text
# token (docs/rerank.md), which is a different comparison.
CAPTIONS = ["a photo of a red square", "a blue square", "yellow", "a green square"]


def torchmetrics_scores(hf_dir, pairs, folder):
    if not os.path.isdir(TRANSFORMERS4):
        pytest.fail(f"{TRANSFORMERS4} is missing: run scripts/setup.sh --torch2")
    pairs_path = os.path.join(folder, "pairs.json")
    with open(pairs_path, "w") as f:
        json.dump(pairs, f)
    env = dict(os.environ, PYTHONPATH=os.path.abspath(TRANSFORMERS4))
    script = os.path.join(os.path.dirname(__file__), "torchmetrics_clip_score.py")
    done = subprocess.run([sys.executable, script, hf_dir, pairs_path], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_clipforge_score_equals_torchmetrics_clip_score_per_sample(clipforge, tmp_path):
    _, weights, vocab = train_briefly(clipforge, str(tmp_path), "cf_interop_tm", VIT)
    hf_dir = str(tmp_path / "hf")
    clipforge("convert", "--to", "hf", "--vocab", vocab, weights, hf_dir)
    # Images of exactly the model's size: no resampling on either side, so the pixels are equal.
    side = VIT["vision_cfg"]["image_size"]
    pairs = []
    for i, colour in enumerate(sorted(COLOURS)):
        path = str(tmp_path / f"{colour}.png")
        colour_image(colour, 90 + i, width=side, height=side).save(path)
        pairs += [[path, caption] for caption in CAPTIONS]
    with open(tmp_path / "pairs.csv", "w") as f:
        f.write("image_path,caption\n" + "".join(f"{path},{caption}\n" for path, caption in pairs))

    lines = [json.loads(line) for line in clipforge("score", "--weights", weights, "--vocab", vocab, "--pairs",
                                                    tmp_path / "pairs.csv", "--json", "--threads", 1).splitlines()]
    rows, mean = lines[:-1], lines[-1]["mean"]
    assert [[r["image"], r["caption"]] for r in rows] == pairs
    theirs = torchmetrics_scores(hf_dir, pairs, str(tmp_path))
    assert theirs["transformers"].startswith("4."), theirs["transformers"]

    cosine = np.array([r["cosine"] for r in rows])
    ours = np.array([r["clip_score"] for r in rows])
    # The pairs must exercise the clamp: some cosines below zero, some above.
    assert cosine.min() < -0.01 and cosine.max() > 0.01, cosine
    assert np.abs(ours - np.array(theirs["per_sample"])).max() < 1e-3, (ours, theirs["per_sample"])
    assert np.abs(ours - 100 * np.maximum(cosine, 0)).max() < 1e-4

    # The means: clipforge averages the clamped scores, torchmetrics clamps the average.
    assert mean["pairs"] == len(pairs) and abs(mean["clip_score"] - ours.mean()) < 1e-4
    assert abs(theirs["batch"] - max(100 * cosine.mean(), 0)) < 1e-3, (theirs["batch"], cosine.mean())
    # So with a cosine below zero they differ: here by more than a rounding.
    assert mean["clip_score"] - theirs["batch"] > 0.01
