// Weights from PyTorch's zip archives: OpenAI's released TorchScript models (`ViT-B-32.pt`) and
// plain `torch.save` checkpoints such as OpenCLIP's training checkpoints.
#pragma once

#include <map>
#include <string>

#include <torch/types.h>

namespace clipforge {

struct ArchiveWeights {
  std::map<std::string, torch::Tensor> tensors;
  bool torchscript = false;  // true for a TorchScript module, false for a pickled state dict
};

// A TorchScript archive gives its parameters and buffers (minus the scalar `input_resolution`,
// `context_length` and `vocab_size` entries OpenAI's archives carry). Otherwise the archive is
// read as a pickled dict: its "state_dict" entry if it has one (OpenCLIP checkpoints), else the
// dict itself, with a DistributedDataParallel "module." prefix removed. Throws input_error.
ArchiveWeights read_pytorch_archive(const std::string& path);

}  // namespace clipforge
