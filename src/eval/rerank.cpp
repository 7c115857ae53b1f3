#include "eval/rerank.h"

#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <numeric>

#include "core/error.h"
#include "eval/clip_score.h"
#include "eval/image_inputs.h"
#include "eval/rerank_batch.h"

namespace clipforge {

nlohmann::json ranking_of(const torch::Tensor& cosines, const std::vector<nlohmann::json>& names, int top_k) {
  const torch::Tensor values = cosines.to(torch::kFloat).contiguous();
  auto c = values.accessor<float, 1>();
  std::vector<size_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return c[a] > c[b]; });
  const size_t shown = top_k > 0 ? std::min(order.size(), static_cast<size_t>(top_k)) : order.size();
  nlohmann::json ranking = nlohmann::json::array();
  for (size_t r = 0; r < shown; ++r)
    ranking.push_back({{"rank", r + 1}, {"image", names[order[r]]}, {"clip_score", clip_score_of(c[order[r]])}, {"cosine", c[order[r]]}});
  return ranking;
}

nlohmann::json rank_images(Encoder& encoder, const std::string& prompt, const std::vector<std::string>& images, int top_k,
                           std::ostream& log) {
  const EncodedImages encoded = encoder.encode_images(expand_image_inputs(images), log);
  if (encoded.paths.empty()) return {{"prompt", prompt}, {"ranking", nlohmann::json::array()}};
  const torch::Tensor cosines = encoded.features.matmul(encoder.encode_texts({prompt}, log)[0]);
  return {{"prompt", prompt}, {"ranking", ranking_of(cosines, {encoded.paths.begin(), encoded.paths.end()}, top_k)}};
}

namespace {
void write_ranking(const nlohmann::json& result, bool json, std::ostream& out) {
  if (json) {
    out << result.dump() << "\n";
  } else {
    out << "prompt: " << result["prompt"].get<std::string>() << "\n";
    for (const auto& r : result["ranking"]) {
      char line[48];
      std::snprintf(line, sizeof line, "  %3d  %7.3f  %8.5f  ", r["rank"].get<int>(), r["clip_score"].get<double>(),
                    r["cosine"].get<double>());
      out << line << r["image"].get<std::string>() << "\n";
    }
  }
  out.flush();  // streaming: a caller reading the pipe sees each result as soon as it is ready
}

}  // namespace

int64_t run_rerank(const RerankOptions& options, std::ostream& out, std::ostream& log) {
  if (options.batch_file.empty() == options.inputs.empty())
    throw usage_error("rerank: give --prompt with images, or --batch FILE.jsonl");
  std::ifstream batch;
  if (!options.batch_file.empty()) {
    batch.open(options.batch_file);
    if (!batch) throw input_error(options.batch_file + ": cannot open");
  }
  Encoder encoder(options.encoder);
  if (options.batch_file.empty()) {
    write_ranking(rank_images(encoder, options.prompt, options.inputs, options.top_k, log), options.json, out);
    return 1;
  }
  int64_t ranked = 0;
  size_t number = 0;
  for (std::string line; std::getline(batch, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const RerankRequest request = parse_rerank_request(line, options.batch_file + ":" + std::to_string(number));
      write_ranking(rank_images(encoder, request.prompt, request.images, options.top_k, log), true, out);
      ++ranked;
    } catch (const Error& e) {
      log << "clipforge: warning: " << e.what() << "\n";
      out << nlohmann::json{{"line", number}, {"error", e.what()}}.dump() << "\n";
      out.flush();
    }
  }
  return ranked;
}

}  // namespace clipforge
