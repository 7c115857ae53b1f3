"""Hugging Face transformers' CLIPModel, CLIPTokenizer and CLIPImageProcessor: a model
clipforge trained becomes a folder they load with equal outputs, and an HF folder loads in
clipforge with equal outputs."""
import json
import os
import subprocess

import numpy as np
import open_clip
import pytest
import torch
import transformers
from PIL import Image
from safetensors.torch import load_file, save_file

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


def hf_from_openai(state, heads):
    """OpenAI's CLIP state dict as an HF CLIPModel, mapped as transformers' own conversion script
    (convert_clip_original_pytorch_to_hf.py, not shipped in its wheel) maps it, written here
    independently of clipforge's mapping."""
    text_width = state["ln_final.weight"].shape[0]
    vision_width, patch = state["visual.conv1.weight"].shape[0], state["visual.conv1.weight"].shape[-1]
    grid = round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
    layers = lambda prefix: len({k[len(prefix):].split(".")[0] for k in state if k.startswith(prefix)})
    config = transformers.CLIPConfig(
        text_config={"vocab_size": state["token_embedding.weight"].shape[0], "hidden_size": text_width,
                     "intermediate_size": 4 * text_width, "num_hidden_layers": layers("transformer.resblocks."),
                     "num_attention_heads": heads["text"], "max_position_embeddings": state["positional_embedding"].shape[0],
                     "hidden_act": "quick_gelu"},
        vision_config={"hidden_size": vision_width, "intermediate_size": 4 * vision_width,
                       "num_hidden_layers": layers("visual.transformer.resblocks."), "num_attention_heads": heads["vision"],
                       "image_size": grid * patch, "patch_size": patch, "hidden_act": "quick_gelu"},
        projection_dim=state["text_projection"].shape[1])
    hf = {"logit_scale": state["logit_scale"], "text_projection.weight": state["text_projection"].T,
          "visual_projection.weight": state["visual.proj"].T,
          "text_model.embeddings.token_embedding.weight": state["token_embedding.weight"],
          "text_model.embeddings.position_embedding.weight": state["positional_embedding"],
          "text_model.final_layer_norm.weight": state["ln_final.weight"],
          "text_model.final_layer_norm.bias": state["ln_final.bias"],
          "vision_model.embeddings.class_embedding": state["visual.class_embedding"],
          "vision_model.embeddings.patch_embedding.weight": state["visual.conv1.weight"],
          "vision_model.embeddings.position_embedding.weight": state["visual.positional_embedding"]}
    for ours, theirs in (("pre_layrnorm", "ln_pre"), ("post_layernorm", "ln_post")):
        for p in ("weight", "bias"):
            hf[f"vision_model.{ours}.{p}"] = state[f"visual.{theirs}.{p}"]
    for tower, prefix in (("text_model", "transformer.resblocks"), ("vision_model", "visual.transformer.resblocks")):
        for i in range(layers(prefix + ".")):
            src, dst = f"{prefix}.{i}", f"{tower}.encoder.layers.{i}"
            for p in ("weight", "bias"):
                for name, chunk in zip("qkv", state[f"{src}.attn.in_proj_{p}"].chunk(3)):
                    hf[f"{dst}.self_attn.{name}_proj.{p}"] = chunk
                for ours, theirs in (("self_attn.out_proj", "attn.out_proj"), ("layer_norm1", "ln_1"),
                                     ("layer_norm2", "ln_2"), ("mlp.fc1", "mlp.c_fc"), ("mlp.fc2", "mlp.c_proj")):
                    hf[f"{dst}.{ours}.{p}"] = state[f"{src}.{theirs}.{p}"]
    model = transformers.CLIPModel(config).eval()
    missing, unexpected = model.load_state_dict({k: v.float().contiguous() for k, v in hf.items()}, strict=False)
    assert not unexpected and all("position_ids" in k for k in missing), (missing, unexpected)
    return model


@pytest.fixture
def openai_reference(shared_dir):
    """OpenAI's TorchScript archive of the tiny reference ViT: (folder, manifest, expected tensors,
    archive path, OpenAI's BPE vocabulary)."""
    folder = os.path.join(shared_dir, "reference", "models", "vit_tiny")
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    return (folder, manifest, load_file(os.path.join(folder, "expected.safetensors")),
            os.path.join(folder, manifest["files"]["torchscript"]), os.path.join(shared_dir, "data", "bpe_simple_vocab_16e6.txt.gz"))


def test_an_hf_folder_of_a_converted_openai_model_loads_in_clipforge(clipforge, tmp_path, openai_reference):
    reference, manifest, expected, archive, vocab = openai_reference
    state = torch.jit.load(archive, map_location="cpu").state_dict()
    model = hf_from_openai(state, {"text": manifest["derived"]["text_heads"], "vision": manifest["derived"]["vision_heads"]})
    # The HF model itself must give the original implementation's features first.
    with torch.no_grad():
        hf_images = features(model.get_image_features(pixel_values=expected["image_input"]))
        mask = (torch.arange(expected["text_tokens"].shape[1]) <= expected["text_tokens"].argmax(-1, keepdim=True)).long()
        hf_texts = features(model.get_text_features(input_ids=expected["text_tokens"], attention_mask=mask))
    check_rows_equal(hf_images.numpy(), expected["image_features"].numpy(), "HF model of OpenAI's weights, images")
    check_rows_equal(hf_texts.numpy(), expected["text_features"].numpy(), "HF model of OpenAI's weights, texts")

    hf_dir = str(tmp_path / "hf")
    model.save_pretrained(hf_dir)
    texts = str(tmp_path / "texts.txt")
    with open(texts, "w") as f:
        f.write("\n".join(manifest["captions"]) + "\n")
    clipforge("embed", "--weights", hf_dir, "--vocab", vocab, "--images", os.path.join(reference, "images"),
              "--out", tmp_path / "images.npy", "--threads", 1)
    clipforge("embed", "--weights", hf_dir, "--vocab", vocab, "--texts", texts, "--out", tmp_path / "texts.npy",
              "--threads", 1)
    check_rows_equal(np.load(tmp_path / "images.npy"), normalized(expected["image_features"]), "clipforge on the HF folder, images")
    check_rows_equal(np.load(tmp_path / "texts.npy"), normalized(expected["text_features"]), "clipforge on the HF folder, texts")


def test_clipforge_converts_an_openai_archive_to_a_folder_transformers_loads(clipforge, tmp_path, openai_reference):
    _, manifest, expected, archive, vocab = openai_reference
    # A traced archive does not record its heads: clipforge, like OpenAI's build_model, would take
    # width // 64; this model's text has 2 heads of 16, so its config is given.
    config = write_config(str(tmp_path), "vit_tiny", manifest["open_clip_model_config"])
    hf_dir = str(tmp_path / "hf")
    clipforge("convert", "--to", "hf", "--model", config, "--vocab", vocab, archive, hf_dir)
    model = transformers.CLIPModel.from_pretrained(hf_dir).eval()
    tokenizer = transformers.CLIPTokenizer.from_pretrained(hf_dir)
    captions = manifest["captions"]
    tokens = tokenizer(captions, padding="max_length", max_length=77, truncation=True, return_tensors="pt")
    # HF's truncation keeps end-of-text last, as OpenAI's tokenize(truncate=True) does; padding aside.
    for ids, mask, reference_ids in zip(tokens["input_ids"], tokens["attention_mask"], expected["text_tokens"]):
        length = int(mask.sum())
        assert ids[:length].tolist() == reference_ids[:length].tolist() and not reference_ids[length:].any()
    with torch.no_grad():
        images = features(model.get_image_features(pixel_values=expected["image_input"]))
        texts = features(model.get_text_features(**tokens))
    check_rows_equal(images.numpy(), expected["image_features"].numpy(), "OpenAI archive via clipforge in HF, images")
    check_rows_equal(texts.numpy(), expected["text_features"].numpy(), "OpenAI archive via clipforge in HF, texts")
