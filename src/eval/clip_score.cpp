#include "eval/clip_score.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/csv_table.h"
#include "eval/encoder.h"

namespace clipforge {

namespace {
std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}
}  // namespace

ScoreSummary run_score(const ScoreOptions& options, std::ostream& out, std::ostream& log) {
  const data::CsvTable table = data::read_csv_table(options.pairs);
  if (table.rows.empty()) throw input_error(options.pairs + ": no image-caption pairs");
  Encoder encoder(options.encoder);
  ScoreSummary summary;
  double sum_cos_clamped = 0;
  if (!options.json) out << "image,caption,cosine,clip_score,clip_s\n";
  const size_t step = static_cast<size_t>(options.encoder.batch_size);
  for (size_t start = 0; start < table.rows.size(); start += step) {
    const size_t end = std::min(table.rows.size(), start + step);
    std::vector<std::string> paths;
    for (size_t i = start; i < end; ++i) paths.push_back(table.rows[i].image_path);
    const EncodedImages images = encoder.encode_images(paths, log);
    summary.skipped += static_cast<int64_t>(paths.size() - images.paths.size());
    if (images.paths.empty()) continue;
    std::vector<std::string> captions;
    for (size_t index : images.indices) captions.push_back(table.rows[start + index].caption);
    const torch::Tensor cosines = (images.features * encoder.encode_texts(captions, log)).sum(1);
    for (size_t j = 0; j < captions.size(); ++j) {
      const double cosine = cosines[j].item<double>();
      sum_cos_clamped += cosine > 0 ? cosine : 0.0;
      if (options.json)
        out << nlohmann::json{{"image", images.paths[j]}, {"caption", captions[j]}, {"cosine", cosine},
                              {"clip_score", clip_score_of(cosine)}, {"clip_s", clip_s_of(cosine)}}.dump() << "\n";
      else
        out << csv_field(images.paths[j]) << "," << csv_field(captions[j]) << "," << cosine << "," << clip_score_of(cosine)
            << "," << clip_s_of(cosine) << "\n";
    }
    summary.scored += static_cast<int64_t>(captions.size());
  }
  if (summary.scored == 0) throw input_error(options.pairs + ": none of the images could be read");
  summary.mean_clip_score = clip_score_of(sum_cos_clamped / summary.scored);
  summary.mean_clip_s = clip_s_of(sum_cos_clamped / summary.scored);
  if (options.json)
    out << nlohmann::json{{"mean", {{"pairs", summary.scored}, {"skipped", summary.skipped}, {"clip_score", summary.mean_clip_score},
                                    {"clip_s", summary.mean_clip_s}}}}.dump() << "\n";
  else
    out << "mean (" << summary.scored << " pairs),," << "," << summary.mean_clip_score << "," << summary.mean_clip_s << "\n";
  return summary;
}

}  // namespace clipforge
