// Evaluation during training: validation loss, retrieval recall and zero-shot accuracy on the
// validation shards.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/loader.h"
#include "model/clip.h"
#include "text/tokenizer.h"

namespace clipforge {

struct EvalInputs {
  std::vector<std::string> classes;    // empty: no zero-shot
  std::vector<std::string> templates;
};

// Runs the whole validation epoch of `loader` (eval transform, no shuffling) without autograd.
// Zero-shot labels come from each sample's json member: "label" as a class index or a class
// name (samples without one are left out of the zero-shot figures).
nlohmann::json evaluate(CLIP& model, data::Loader& loader, const text::Tokenizer& tokenizer, const EvalInputs& inputs,
                        const c10::Device& device);

}  // namespace clipforge
