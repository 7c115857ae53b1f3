"""Shared pieces of the interop tests: the clipforge binary under test, shards and a short
training run it makes, and comparisons of embedding matrices."""
import io
import json
import os
import subprocess
import tarfile

import numpy as np
import pytest
from PIL import Image

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220), "yellow": (230, 220, 30)}


@pytest.fixture(scope="session")
def clipforge():
    path = os.environ.get("CLIPFORGE_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("CLIPFORGE_BIN must name the clipforge binary under test (CTest sets it)")

    def run(*args):
        done = subprocess.run([path, *map(str, args)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"clipforge {' '.join(map(str, args))} exited {done.returncode}: {done.stderr[-2000:]}")
        return done.stdout

    return run


@pytest.fixture(scope="session")
def shared_dir():
    """The team's reference data (CLIPFORGE_SHARED_DIR, else ../shared beside the checkout). Absent,
    a test skips with the reason shown, or fails where CLIPFORGE_REQUIRE_SHARED is set (CI)."""
    path = os.environ.get("CLIPFORGE_SHARED_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared")
    if not os.path.isdir(path):
        if "CLIPFORGE_REQUIRE_SHARED" in os.environ:  # set at all, as the C++ tests read it
            pytest.fail(f"{path} not found and CLIPFORGE_REQUIRE_SHARED is set")
        pytest.skip(f"{path} not found (set CLIPFORGE_SHARED_DIR)")
    return os.path.abspath(path)


def colour_image(name, seed, width=40, height=40):
    """A noisy rectangle of one colour: different seeds give different pixels."""
    rng = np.random.default_rng(seed)
    base = np.array(COLOURS[name], dtype=np.int16)
    pixels = np.clip(base + rng.integers(-25, 26, size=(height, width, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


def write_shards(folder, shards=2, per_shard=16):
    """WebDataset shards of colour squares captioned with their colour; returns the brace pattern."""
    os.makedirs(folder, exist_ok=True)
    names = sorted(COLOURS)
    for s in range(shards):
        with tarfile.open(os.path.join(folder, f"{s:05d}.tar"), "w") as tar:
            for i in range(per_shard):
                colour = names[(s * per_shard + i) % len(names)]
                image = io.BytesIO()
                colour_image(colour, 1000 * s + i).save(image, "PNG")
                for ext, data in (("png", image.getvalue()), ("txt", f"a photo of a {colour} square".encode())):
                    info = tarfile.TarInfo(f"s{s}_{i:04d}.{ext}")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return os.path.join(folder, "{00000.." + f"{shards - 1:05d}" + "}.tar")


def write_config(folder, name, config):
    """`config` (a dict in OpenCLIP's schema) as FOLDER/NAME.json: OpenCLIP registers it as NAME."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{name}.json")
    with open(path, "w") as f:
        json.dump(config, f)
    return path


def train_briefly(clipforge, folder, name, config):
    """A few clipforge training steps of `config` on fresh shards, with a vocabulary it trains.
    Returns (config path, weights path, vocabulary path)."""
    config_path = write_config(folder, name, config)
    shards = write_shards(os.path.join(folder, "shards"))
    out = clipforge("train", "--model", config_path, "--train-data", shards, "--batch-size", 8, "--epochs", 1,
                    "--max-steps", 3, "--warmup", 1, "--workers", 1, "--threads", 1,
                    "--logs", os.path.join(folder, "runs"), "--name", "run")
    weights = json.loads(out)["weights"]
    return config_path, weights, os.path.join(folder, "runs", "run", "vocab.txt.gz")


def check_rows_equal(ours, theirs, what):
    """Row-wise cosine above 0.99999 and max abs difference below 1e-4, as the issue sets."""
    assert ours.shape == theirs.shape, f"{what}: shapes {ours.shape} and {theirs.shape}"
    cosine = np.sum(ours * theirs, axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
    worst = float(np.abs(ours - theirs).max())
    assert cosine.min() > 0.99999 and worst < 1e-4, f"{what}: min cosine {cosine.min():.7f}, max abs diff {worst:.2e}"
