// A learnable toy dataset the training tests write themselves: 16x16 PNGs of noisy solid
// colours captioned "a photo of a <colour> square", with {"label": index} json.
#pragma once

#include <opencv2/core.hpp>
#include <random>
#include <string>
#include <vector>

namespace clipforge::testing {

const std::vector<std::string>& colour_names();

// A 16x16 BGR square of colour `label` (an index into colour_names()) with noise from `rng`.
cv::Mat noisy_colour_square(int label, std::mt19937& rng);

// Two shards DIR/00000.tar and 00001.tar of `per_shard` samples; returns their brace pattern.
// The noise comes from `seed`: data that measures a trained model takes kHeldOutSeed, so no
// evaluated image is one the model was trained on.
inline constexpr unsigned kTrainingSeed = 5, kHeldOutSeed = 7;
std::string write_colour_shards(const std::string& dir, int per_shard, unsigned seed = kTrainingSeed);

// A tiny ViT CLIP config (16 px images, 600-id vocabulary) written to DIR/tiny.json.
std::string write_tiny_model_config(const std::string& dir);

}  // namespace clipforge::testing
