"""Writes the binary test fixtures that only PyTorch itself can make (run with the project's
.venv python after `scripts/setup.sh --torch2`). The outputs are committed; rerun this only to
change them.

tests/model/fixtures/saved_on_cuda0.pt: an OpenCLIP-style torch.save checkpoint whose storages
name cuda:0, as a checkpoint saved on a GPU does. Written on a CPU-only machine by tagging the
storages' location, which is all torch.save records of the device.
"""
import pathlib

import torch
import torch.serialization

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "tests/model/fixtures/saved_on_cuda0.pt"
torch.serialization.location_tag = lambda storage: "cuda:0"
# Dicts of two or more entries: pickle writes a one-entry dict with SETITEM, which Debian's
# LibTorch 1.13 C++ unpickler does not know (it reads SETITEMS, what real checkpoints hold).
state = {"module.w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "module.b": torch.tensor([0.5, -1.5])}
torch.save({"epoch": 1, "name": "saved_on_cuda0", "state_dict": state}, out)
print(f"wrote {out} ({out.stat().st_size} bytes)")
