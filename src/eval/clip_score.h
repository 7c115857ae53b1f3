// CLIP score of image-caption pairs. Each pair is clamped at zero before averaging
// (torchmetrics clamps the mean instead), and captions longer than the context are truncated
// keeping end-of-text.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include <torch/types.h>

#include "data/csv_table.h"
#include "eval/encoder_options.h"

namespace clipforge {

// The common 0..100 scale and the CLIPScore paper's w = 2.5 scale of one cosine.
inline double clip_score_of(double cosine) { return 100.0 * (cosine > 0 ? cosine : 0.0); }
inline double clip_s_of(double cosine) { return 2.5 * (cosine > 0 ? cosine : 0.0); }

// Row i of both (normalised) feature matrices is pair i: its cosine, as float64 [n].
torch::Tensor pair_cosines(const torch::Tensor& image_features, const torch::Tensor& text_features);

// One pair's line of `score --json` (and of the server's /v1/score): image names the image (a
// path, a sample key or a request index), with the cosine on both scales.
nlohmann::json pair_score(const nlohmann::json& image, const std::string& caption, double cosine);

// The "mean" object of the same output: both scales of the mean of the clamped cosines.
nlohmann::json mean_score(double sum_cos_clamped, int64_t pairs, int64_t skipped);

struct ScoreOptions {
  EncoderOptions encoder;
  std::string pairs;  // a .csv with image_path/filepath and caption/title columns, or shard URLs
  bool json = false;  // JSON lines instead of CSV
  int workers = 0;    // shard decoding threads (0 = one per core)
  data::CsvOptions csv;  // separator and columns of a .csv of pairs
};

struct ScoreSummary {
  int64_t scored = 0, skipped = 0;
  double mean_clip_score = 0, mean_clip_s = 0;
};

// One line per scored pair on `out`, then the means; skipped pairs reported on `log`. CSV pairs
// come in file order named by image path; shard samples (decoded by the data loader, so every
// skip reason of docs/data.md applies) are named by their sample key.
ScoreSummary run_score(const ScoreOptions& options, std::ostream& out, std::ostream& log);

}  // namespace clipforge
