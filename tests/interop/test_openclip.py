"""Models move between clipforge and the real OpenCLIP with equal outputs, both ways, and the
safetensors files clipforge writes and reads are those of the real `safetensors` package."""
import json
import os
import subprocess
import zipfile

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from conftest import COLOURS, check_rows_equal, colour_image, train_briefly, write_config

TEXT_CFG = {"context_length": 16, "vocab_size": 600, "width": 32, "heads": 2, "layers": 2}
VIT = {"embed_dim": 32, "quick_gelu": False, "text_cfg": TEXT_CFG,
       "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32}}
RESNET = {"embed_dim": 32, "quick_gelu": True, "text_cfg": TEXT_CFG,
          "vision_cfg": {"image_size": 64, "layers": [1, 1, 1, 1], "width": 16, "head_width": 64}}
TEXTS = ["a photo of a red square", "a blue square", "yellow", "a photo of a green square on a red square"]


def openclip_model(config_path, name):
    open_clip.add_model_config(config_path)  # registered as the file's stem
    model = open_clip.create_model(name, pretrained=None)
    return model.eval()


def write_images(folder):
    """One image per colour, none square, so resizing and cropping are exercised."""
    os.makedirs(folder, exist_ok=True)
    for i, colour in enumerate(sorted(COLOURS)):
        colour_image(colour, 50 + i, width=37 + 9 * i, height=71 - 7 * i).save(os.path.join(folder, f"{i}.png"))


def clipforge_embeddings(clipforge, folder, weights, vocab, extra=(), images=None):
    """clipforge embed of the images in IMAGES (default FOLDER/images) and of TEXTS: (image rows,
    their files, text rows)."""
    texts = os.path.join(folder, "texts.txt")
    with open(texts, "w") as f:
        f.write("\n".join(TEXTS) + "\n")
    images_npy, texts_npy = os.path.join(folder, "images.npy"), os.path.join(folder, "texts.npy")
    clipforge("embed", "--weights", weights, "--vocab", vocab, *extra, "--images", images or os.path.join(folder, "images"),
              "--out", images_npy, "--threads", 1)
    clipforge("embed", "--weights", weights, "--vocab", vocab, *extra, "--texts", texts, "--out", texts_npy,
              "--threads", 1)
    with open(images_npy + ".ids.txt") as f:
        files = f.read().split("\n")[:-1]
    return np.load(images_npy), files, np.load(texts_npy)


def openclip_embeddings(model, files, vocab, context_length):
    preprocess = open_clip.image_transform(model.visual.image_size, is_train=False)
    tokenizer = open_clip.tokenizer.SimpleTokenizer(bpe_path=vocab, context_length=context_length)
    with torch.no_grad():
        images = torch.stack([preprocess(Image.open(f).convert("RGB")) for f in files])
        return (model.encode_image(images, normalize=True).numpy(),
                model.encode_text(tokenizer(TEXTS), normalize=True).numpy())


@pytest.mark.parametrize("name,config", [("cf_interop_vit", VIT), ("cf_interop_rn", RESNET)])
def test_a_clipforge_checkpoint_loads_strictly_in_openclip_with_equal_embeddings(clipforge, tmp_path, name, config):
    config_path, weights, vocab = train_briefly(clipforge, str(tmp_path), name, config)
    model = openclip_model(config_path, name)
    model.load_state_dict(load_file(weights), strict=True)
    write_images(tmp_path / "images")
    ours_images, files, ours_texts = clipforge_embeddings(clipforge, str(tmp_path), weights, vocab)
    assert len(files) == len(COLOURS)
    # OpenCLIP's own tokenizer reads the vocabulary clipforge trained: same ids, same rows.
    theirs_images, theirs_texts = openclip_embeddings(model, files, vocab, TEXT_CFG["context_length"])
    check_rows_equal(ours_images, theirs_images, f"{name} image embeddings")
    check_rows_equal(ours_texts, theirs_texts, f"{name} text embeddings")


def data_offsets(path):
    """(header length, {name: (dtype, start)}) read from the file's own bytes, not by a library."""
    with open(path, "rb") as f:
        length = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(length))
    return length, {k: (v["dtype"], v["data_offsets"][0]) for k, v in header.items() if k != "__metadata__"}


ITEMSIZE = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2, "I16": 2, "U8": 1, "I8": 1, "BOOL": 1}


def test_clipforge_safetensors_read_with_the_safetensors_package(clipforge, tmp_path):
    config_path, weights, _ = train_briefly(clipforge, str(tmp_path), "cf_interop_meta", VIT)
    # Every tensor starts at a multiple of its element size from an 8-aligned data start, in the
    # weights and in the training state (float32 moments, int64 counters, uint8 RNG state).
    for path in (weights, weights.replace(".safetensors", ".state.safetensors")):
        length, tensors = data_offsets(path)
        assert length % 8 == 0, f"{path}: header of {length} bytes"
        assert {dtype for dtype, _ in tensors.values()} >= {"F32"}
        for name, (dtype, start) in tensors.items():
            assert start % ITEMSIZE[dtype] == 0, f"{path}: {name} ({dtype}) starts at {start}"
        with safe_open(path, framework="pt") as f:
            assert set(f.keys()) == set(tensors)
    with safe_open(weights, framework="pt") as f:
        metadata = f.metadata()
        keys = set(f.keys())
        assert f.get_tensor("logit_scale").dtype == torch.float32
    config = json.loads(metadata["model_config"])
    assert config["embed_dim"] == VIT["embed_dim"] and config["vision_cfg"]["width"] == VIT["vision_cfg"]["width"]
    assert keys == set(openclip_model(config_path, "cf_interop_meta").state_dict().keys())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_openclip_weights_saved_by_the_safetensors_package_load_in_clipforge(clipforge, tmp_path, dtype):
    name = f"cf_interop_{str(dtype).split('.')[-1]}"
    config_path = write_config(str(tmp_path), name, dict(VIT, text_cfg=dict(TEXT_CFG, vocab_size=49408)))
    torch.manual_seed(0)
    model = openclip_model(config_path, name)
    # clipforge computes in fp32 from the stored values: compare with OpenCLIP on the same rounding.
    model.load_state_dict({k: v.to(dtype).float() for k, v in model.state_dict().items()})
    weights = str(tmp_path / f"{name}.safetensors")
    save_file({k: v.to(dtype).contiguous() for k, v in model.state_dict().items()}, weights)
    write_images(tmp_path / "images")
    vocab = open_clip.tokenizer.default_bpe()  # OpenAI's merges file, as OpenCLIP ships it
    ours_images, files, ours_texts = clipforge_embeddings(clipforge, str(tmp_path), weights, vocab,
                                                          extra=("--model", config_path))
    theirs_images, theirs_texts = openclip_embeddings(model, files, vocab, TEXT_CFG["context_length"])
    check_rows_equal(ours_images, theirs_images, f"{dtype} image embeddings")
    check_rows_equal(ours_texts, theirs_texts, f"{dtype} text embeddings")


def test_an_openclip_training_checkpoint_saved_from_cuda_loads_in_clipforge(clipforge, tmp_path):
    """epoch_N.pt as open_clip_train writes it: `module.` prefixes (DDP), optimizer state, and
    storages tagged cuda:0 (faked here with a torch.serialization tagger: no GPU needed)."""
    name = "cf_interop_epoch"
    config_path = write_config(str(tmp_path), name, dict(VIT, text_cfg=dict(TEXT_CFG, vocab_size=49408)))
    torch.manual_seed(1)
    model = openclip_model(config_path, name)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.logit_scale.sum().backward()
    optimizer.step()
    checkpoint = {"epoch": 1, "name": "exp", "optimizer": optimizer.state_dict(),
                  "state_dict": {"module." + k: v for k, v in model.state_dict().items()}}
    torch.serialization.register_package(1, lambda obj: "cuda:0", lambda obj, location: None)
    path = str(tmp_path / "epoch_1.pt")
    torch.save(checkpoint, path)
    with zipfile.ZipFile(path) as archive:
        pickle = next(archive.read(n) for n in archive.namelist() if n.endswith("data.pkl"))
    assert b"cuda:0" in pickle
    write_images(tmp_path / "images")
    vocab = open_clip.tokenizer.default_bpe()
    ours_images, files, ours_texts = clipforge_embeddings(clipforge, str(tmp_path), path, vocab,
                                                          extra=("--model", config_path))
    theirs_images, theirs_texts = openclip_embeddings(model.eval(), files, vocab, TEXT_CFG["context_length"])
    check_rows_equal(ours_images, theirs_images, "epoch_1.pt image embeddings")
    check_rows_equal(ours_texts, theirs_texts, "epoch_1.pt text embeddings")


HEAD_SWEEP = [
    ("vit_one_wide_head", {"image_size": 32, "layers": 1, "width": 96, "patch_size": 16}),  # 96 // 64 = 1 head of 96
    ("vit_two_heads_of_96", {"image_size": 32, "layers": 1, "width": 192, "patch_size": 16, "head_width": 80}),
    ("vit_mlp_2_5", {"image_size": 48, "layers": 2, "width": 128, "patch_size": 16, "head_width": 48, "mlp_ratio": 2.5}),
    ("rn_four_heads", {"image_size": 64, "layers": [1, 1, 1, 1], "width": 20, "head_width": 150}),  # 640 // 150
    ("rn_twelve_heads", {"image_size": 64, "layers": [1, 2, 1, 1], "width": 24}),  # 768 // 64
]


@pytest.mark.parametrize("name,vision", HEAD_SWEEP, ids=[n for n, _ in HEAD_SWEEP])
def test_configs_openclip_accepts_mean_the_same_model_in_clipforge(clipforge, tmp_path, name, vision):
    """Random OpenCLIP models over a sweep of configs, heads rounded down included."""
    config = {"embed_dim": 24, "quick_gelu": name.startswith("rn"), "vision_cfg": vision,
              "text_cfg": {"context_length": 12, "vocab_size": 49408, "width": 48, "heads": 3, "layers": 1}}
    name = "cf_sweep_" + name
    config_path = write_config(str(tmp_path), name, config)
    torch.manual_seed(5)
    model = openclip_model(config_path, name)
    weights = str(tmp_path / "weights.safetensors")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
    write_images(tmp_path / "images")
    vocab = open_clip.tokenizer.default_bpe()
    ours_images, files, ours_texts = clipforge_embeddings(clipforge, str(tmp_path), weights, vocab,
                                                          extra=("--model", config_path))
    theirs_images, theirs_texts = openclip_embeddings(model, files, vocab, 12)
    check_rows_equal(ours_images, theirs_images, f"{name} image embeddings")
    check_rows_equal(ours_texts, theirs_texts, f"{name} text embeddings")


def test_a_config_whose_heads_do_not_divide_the_width_is_refused_by_both(tmp_path):
    config = {"embed_dim": 24, "vision_cfg": {"image_size": 32, "layers": 1, "width": 200, "patch_size": 16},
              "text_cfg": {"context_length": 12, "vocab_size": 49408, "width": 48, "heads": 3, "layers": 1}}
    config_path = write_config(str(tmp_path), "cf_sweep_bad", config)
    with pytest.raises(Exception):  # 200 // 64 = 3 heads: torch's attention refuses
        openclip_model(config_path, "cf_sweep_bad")
    done = subprocess.run([os.environ["CLIPFORGE_BIN"], "embed", "--model", config_path, "--weights", "none.safetensors",
                           "--texts", "none.txt", "--out", str(tmp_path / "x.npy")], capture_output=True, text=True)
    assert done.returncode == 2 and "vision_cfg.head_width" in done.stderr, done.stderr
