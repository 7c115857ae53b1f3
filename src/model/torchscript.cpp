#include "model/torchscript.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/script.h>

#include "core/error.h"
#include "model/torch_compat.h"

namespace clipforge {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

bool is_openai_scalar(const std::string& name) {
  return name == "input_resolution" || name == "context_length" || name == "vocab_size";
}

std::map<std::string, torch::Tensor> from_pickled_dict(const std::string& path, const c10::IValue& value) {
  if (!value.isGenericDict()) throw input_error(path + ": the pickled object is not a dict of tensors");
  c10::Dict<c10::IValue, c10::IValue> dict = value.toGenericDict();
  for (const auto& item : dict) {
    if (item.key().isString() && item.key().toStringRef() == "state_dict") return from_pickled_dict(path, item.value());
  }
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& item : dict) {
    if (!item.key().isString()) throw input_error(path + ": a state dict key is not a string");
    std::string name = item.key().toStringRef();
    if (!item.value().isTensor()) throw input_error(path + ": state dict entry '" + name + "' is not a tensor");
    if (name.rfind("module.", 0) == 0) name = name.substr(7);
    tensors[name] = item.value().toTensor();
  }
  return tensors;
}

}  // namespace

ArchiveWeights read_pytorch_archive(const std::string& path) {
  ArchiveWeights out;
  std::string jit_error;
  try {
    // Map to the CPU: OpenAI traced its archives on CUDA.
    torch::jit::Module module = torch::jit::load(path, torch::kCPU);
    for (const auto& p : module.named_parameters(/*recurse=*/true))
      if (!is_openai_scalar(p.name)) out.tensors[p.name] = p.value;
    for (const auto& b : module.named_buffers(/*recurse=*/true))
      if (!is_openai_scalar(b.name)) out.tensors[b.name] = b.value;
    out.torchscript = true;
    return out;
  } catch (const c10::Error& e) {
    jit_error = first_line(e.what_without_backtrace());
  }
  try {
    // torch.pickle_load restores every storage on the device it was saved from, so a checkpoint
    // written on cuda:N would need that GPU: read it onto the CPU instead (map_location="cpu").
    caffe2::serialize::PyTorchStreamReader reader(path);
    c10::IValue value = torch::jit::readArchiveAndTensors("data", /*pickle_prefix=*/"", /*tensor_prefix=*/"",
                                                          /*type_resolver=*/{}, /*obj_loader=*/{},
                                                          /*device=*/c10::Device(c10::kCPU), reader);
    out.tensors = from_pickled_dict(path, value);
    return out;
  } catch (const c10::Error& e) {
    const std::string reason = first_line(e.what_without_backtrace());
    throw input_error(path + ": neither a TorchScript archive (" + jit_error + ") nor a torch.save checkpoint (" +
                      reason + ")" + unpickle_failure_hint(reason));
  }
}

}  // namespace clipforge
