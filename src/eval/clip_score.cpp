#include "eval/clip_score.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/csv_table.h"
#include "data/shard_list.h"
#include "eval/encoder.h"
#include "eval/shard_batches.h"

namespace clipforge {

namespace {

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

torch::Tensor pair_cosines(const torch::Tensor& image_features, const torch::Tensor& text_features) {
  return (image_features * text_features).sum(1).to(torch::kDouble).contiguous();
}

nlohmann::json pair_score(const nlohmann::json& image, const std::string& caption, double cosine) {
  return {{"image", image}, {"caption", caption}, {"cosine", cosine}, {"clip_score", clip_score_of(cosine)}, {"clip_s", clip_s_of(cosine)}};
}

nlohmann::json mean_score(double sum_cos_clamped, int64_t pairs, int64_t skipped) {
  return {{"pairs", pairs}, {"skipped", skipped}, {"clip_score", clip_score_of(sum_cos_clamped / pairs)},
          {"clip_s", clip_s_of(sum_cos_clamped / pairs)}};
}

namespace {

// Writes one line per pair as batches arrive, and keeps what the mean needs.
class PairWriter {
 public:
  PairWriter(std::ostream& out, bool json) : out_(out), json_(json) {
    if (!json_) out_ << "image,caption,cosine,clip_score,clip_s\n";
  }

  // Row i of the (normalised) feature matrices is the pair (ids[i], captions[i]).
  void write(const std::vector<std::string>& ids, const std::vector<std::string>& captions, const torch::Tensor& image_features,
             const torch::Tensor& text_features) {
    const torch::Tensor cosines = pair_cosines(image_features, text_features);
    const double* cosine = cosines.data_ptr<double>();
    for (size_t j = 0; j < captions.size(); ++j) {
      sum_cos_clamped_ += cosine[j] > 0 ? cosine[j] : 0.0;
      if (json_)
        out_ << pair_score(ids[j], captions[j], cosine[j]).dump() << "\n";
      else
        out_ << csv_field(ids[j]) << "," << csv_field(captions[j]) << "," << cosine[j] << "," << clip_score_of(cosine[j]) << ","
             << clip_s_of(cosine[j]) << "\n";
    }
    scored_ += static_cast<int64_t>(captions.size());
  }

  // The means line; the summary of the whole run.
  ScoreSummary finish(int64_t skipped) {
    ScoreSummary summary;
    summary.scored = scored_;
    summary.skipped = skipped;
    const nlohmann::json mean = mean_score(sum_cos_clamped_, scored_, skipped);
    summary.mean_clip_score = mean["clip_score"].get<double>();
    summary.mean_clip_s = mean["clip_s"].get<double>();
    if (json_)
      out_ << nlohmann::json{{"mean", mean}}.dump() << "\n";
    else
      out_ << "mean (" << scored_ << " pairs),," << "," << summary.mean_clip_score << "," << summary.mean_clip_s << "\n";
    return summary;
  }

  int64_t scored() const { return scored_; }

 private:
  std::ostream& out_;
  bool json_;
  double sum_cos_clamped_ = 0;
  int64_t scored_ = 0;
};

// CSV pairs in file order, identified by image path; unreadable images reported by path.
int64_t score_csv(const std::string& path, const data::CsvOptions& csv, Encoder& encoder, int64_t batch_size, PairWriter& writer,
                  std::ostream& log) {
  const data::CsvTable table = data::read_csv_table(path, csv);
  if (table.rows.empty()) throw input_error(path + ": no image-caption pairs");
  int64_t skipped = 0;
  for (size_t start = 0; start < table.rows.size(); start += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(table.rows.size(), start + static_cast<size_t>(batch_size));
    std::vector<std::string> paths;
    for (size_t i = start; i < end; ++i) paths.push_back(table.rows[i].image_path);
    const EncodedImages images = encoder.encode_images(paths, log);
    skipped += static_cast<int64_t>(paths.size() - images.paths.size());
    if (images.paths.empty()) continue;
    std::vector<std::string> captions;
    for (size_t index : images.indices) captions.push_back(table.rows[start + index].caption);
    writer.write(images.paths, captions, images.features, encoder.encode_texts(captions, log));
  }
  return skipped;
}

// Shard samples through the data loader, identified by sample key; bad samples counted by reason.
int64_t score_shards(const ScoreOptions& options, Encoder& encoder, PairWriter& writer, std::ostream& log) {
  const ShardBatchOptions shards{options.pairs, encoder.image_size(), options.encoder.batch_size, options.workers,
                                 options.encoder.max_image_pixels, options.csv};
  const nlohmann::json report = for_each_shard_batch(shards, [&](const torch::Tensor& pixels, const data::Batch& batch) {
    writer.write(batch.keys, batch.captions, encoder.encode_pixels(pixels), encoder.encode_texts(batch.captions, log));
  });
  int64_t skipped = 0;
  for (const auto& [reason, count] : report["skipped"].items()) {
    log << "clipforge: " << options.pairs << ": skipped " << count.get<int64_t>() << " sample(s): " << reason << "\n";
    skipped += count.get<int64_t>();
  }
  return skipped;
}

}  // namespace

ScoreSummary run_score(const ScoreOptions& options, std::ostream& out, std::ostream& log) {
  Encoder encoder(options.encoder);
  PairWriter writer(out, options.json);
  const int64_t skipped = data::is_csv_source(options.pairs)
                              ? score_csv(options.pairs, options.csv, encoder, options.encoder.batch_size, writer, log)
                              : score_shards(options, encoder, writer, log);
  if (writer.scored() == 0) throw input_error(options.pairs + ": none of the image-caption pairs could be read");
  return writer.finish(skipped);
}

}  // namespace clipforge
