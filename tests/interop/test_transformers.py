"""Hugging Face transformers' CLIPModel, CLIPTokenizer and CLIPImageProcessor: a model
clipforge trained becomes a folder they load with equal outputs, and an HF folder loads in
clipforge with equal outputs."""
import os
import subprocess

import numpy as np
import open_clip
import torch
import transformers
from PIL import Image
from safetensors.torch import save_file

from conftest import COLOURS, check_rows_equal, colour_image, train_briefly, write_config
from test_openclip import RESNET, TEXTS, VIT, clipforge_embeddings, openclip_model

TEXT_WIDTH, CONTEXT = 32, 16


def write_square_images(folder, side):
    """Squares of twice the model's size: the resize halves them exactly and no crop offset is
    rounded (HF's centre crop floors an odd margin where the reference rounds it half to even)."""
    os.makedirs(folder, exist_ok=True)
    for i, colour in enumerate(sorted(COLOURS)):
        colour_image(colour, 70 + i, width=side, height=side).save(os.path.join(folder, f"{i}.png"))
    return sorted(os.path.join(folder, f) for f in os.listdir(folder))


def features(output):
    """get_*_features: a tensor in transformers 4, an output whose pooler_output is projected in 5."""
    return getattr(output, "pooler_output", output)


def normalized(x):
    return torch.nn.functional.normalize(x, dim=-1).detach().numpy()


def test_a_clipforge_model_converts_to_a_folder_transformers_loads_with_equal_outputs(clipforge, tmp_path):
    _, weights, vocab = train_briefly(clipforge, str(tmp_path), "cf_interop_hf", VIT)
    hf_dir = str(tmp_path / "hf")
    clipforge("convert", "--to", "hf", "--vocab", vocab, weights, hf_dir)
    model = transformers.CLIPModel.from_pretrained(hf_dir).eval()
    tokenizer = transformers.CLIPTokenizer.from_pretrained(hf_dir)
    processor = transformers.CLIPImageProcessor.from_pretrained(hf_dir)

    files = write_square_images(tmp_path / "images", 2 * VIT["vision_cfg"]["image_size"])
    ours_images, _, ours_texts = clipforge_embeddings(clipforge, str(tmp_path), weights, vocab)
    # HF's tokenizer on clipforge's vocabulary: the ids OpenCLIP's reads from it, specials included.
    reference = open_clip.tokenizer.SimpleTokenizer(bpe_path=vocab, context_length=CONTEXT)(TEXTS)
    tokens = tokenizer(TEXTS, padding="max_length", max_length=CONTEXT, truncation=True, return_tensors="pt")
    for row, (ids, mask) in enumerate(zip(tokens["input_ids"], tokens["attention_mask"])):
        length = int(mask.sum())
        assert ids[:length].tolist() == reference[row][:length].tolist(), TEXTS[row]
    pixels = processor(images=[Image.open(f).convert("RGB") for f in files], return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        theirs_images = normalized(features(model.get_image_features(pixel_values=pixels)))
        theirs_texts = normalized(features(model.get_text_features(**tokens)))
        logits = model(pixel_values=pixels, **tokens).logits_per_image.numpy()
    check_rows_equal(ours_images, theirs_images, "CLIPModel image features")
    check_rows_equal(ours_texts, theirs_texts, "CLIPModel text features")
    expected = np.exp(model.logit_scale.item()) * ours_images @ ours_texts.T
    assert np.abs(logits - expected).max() < 1e-3 * np.abs(expected).max(), (logits, expected)


def test_a_transformers_folder_loads_in_clipforge_with_equal_outputs(clipforge, tmp_path):
    config = transformers.CLIPConfig(
        text_config={"vocab_size": 49408, "hidden_size": TEXT_WIDTH, "intermediate_size": 4 * TEXT_WIDTH,
                     "num_hidden_layers": 2, "num_attention_heads": 2, "max_position_embeddings": CONTEXT},
        vision_config={"hidden_size": 64, "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "image_size": 32, "patch_size": 8},
        projection_dim=24)
    torch.manual_seed(7)
    model = transformers.CLIPModel(config).eval()
    hf_dir = str(tmp_path / "hf")
    model.save_pretrained(hf_dir)
    assert os.path.exists(os.path.join(hf_dir, "model.safetensors"))
    vocab = open_clip.tokenizer.default_bpe()
    files = write_square_images(tmp_path / "images", 64)
    ours_images, _, ours_texts = clipforge_embeddings(clipforge, str(tmp_path), hf_dir, vocab)
    preprocess = open_clip.image_transform(32, is_train=False)
    ids = open_clip.tokenizer.SimpleTokenizer(bpe_path=vocab, context_length=CONTEXT)(TEXTS)
    with torch.no_grad():
        pixels = torch.stack([preprocess(Image.open(f).convert("RGB")) for f in files])
        theirs_images = normalized(features(model.get_image_features(pixel_values=pixels)))
        theirs_texts = normalized(features(model.get_text_features(input_ids=ids)))
    check_rows_equal(ours_images, theirs_images, "HF folder image features")
    check_rows_equal(ours_texts, theirs_texts, "HF folder text features")


def test_a_resnet_model_is_refused_for_hf_with_one_line(tmp_path):
    config_path = write_config(str(tmp_path), "cf_interop_hf_rn", RESNET)
    weights = str(tmp_path / "rn.safetensors")
    save_file({k: v.contiguous() for k, v in openclip_model(config_path, "cf_interop_hf_rn").state_dict().items()}, weights)
    done = subprocess.run([os.environ["CLIPFORGE_BIN"], "convert", "--to", "hf", "--model", config_path, "--vocab",
                           open_clip.tokenizer.default_bpe(), weights, str(tmp_path / "hf")], capture_output=True, text=True)
    assert done.returncode == 4 and "no ModifiedResNet" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
