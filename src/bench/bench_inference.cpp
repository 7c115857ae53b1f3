#include "bench/bench_inference.h"

#include <torch/torch.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <sstream>
#include <unistd.h>

#include "bench/report.h"
#include "core/error.h"
#include "eval/encoder.h"
#include "eval/image_inputs.h"
#include "eval/rerank.h"
#include "eval/zeroshot_run.h"

namespace clipforge::bench {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A scratch folder with the generated images and the weights, removed when the benchmark ends.
struct Workspace {
  std::string dir;
  std::vector<std::string> images;
  EncoderOptions encoder;

  explicit Workspace(const InferenceBenchOptions& options) {
    dir = (fs::temp_directory_path() / ("clipforge_bench_" + std::to_string(::getpid()))).string();
    fs::create_directories(dir + "/images");
    // Smooth gradients plus noise: JPEG sizes and decode cost close to photos'.
    std::mt19937 rng(1);
    std::uniform_int_distribution<int> noise(-20, 20), base(0, 255);
    for (int i = 0; i < options.images; ++i) {
      cv::Mat image(375, 500, CV_8UC3);
      const int r = base(rng), g = base(rng), b = base(rng);
      for (int y = 0; y < image.rows; ++y)
        for (int x = 0; x < image.cols; ++x)
          image.at<cv::Vec3b>(y, x) = {cv::saturate_cast<uchar>(b + x / 4 + noise(rng)), cv::saturate_cast<uchar>(g + y / 3 + noise(rng)),
                                       cv::saturate_cast<uchar>(r + noise(rng))};
      images.push_back(dir + "/images/" + std::to_string(100000 + i) + ".jpg");
      cv::imwrite(images.back(), image, {cv::IMWRITE_JPEG_QUALITY, 90});
    }
    encoder = {options.model, options.weights, options.vocab, "cpu", "fp32", options.batch};
    if (encoder.weights.empty()) {
      encoder.weights = dir + "/weights.safetensors";
      save_model(encoder.weights, load_model({options.model, ""}).model);
    }
  }
  ~Workspace() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::string class_list(int classes) {
  std::string list;
  for (int c = 0; c < classes; ++c) list += (c ? ",class " : "class ") + std::to_string(c);
  return list;
}

}  // namespace

void run_zeroshot_benchmark(const InferenceBenchOptions& options) {
  if (options.images <= 0 || options.batch <= 0) throw usage_error("bench zeroshot: --images and --batch must be positive");
  const Workspace work(options);
  Encoder encoder(work.encoder);
  std::ostringstream sink;

  // Decode and model time of the image path alone, batch by batch.
  double decode_s = 0, model_s = 0;
  for (size_t start = 0; start < work.images.size(); start += options.batch) {
    const std::vector<std::string> chunk(work.images.begin() + start,
                                         work.images.begin() + std::min(work.images.size(), start + options.batch));
    auto t = Clock::now();
    const ImageBatch batch = load_image_batch(chunk, encoder.image_size(), encoder.options().max_image_pixels, sink);
    decode_s += seconds_since(t);
    t = Clock::now();
    encoder.encode_pixels(batch.pixels);
    model_s += seconds_since(t);
  }

  // The whole command twice: the first run computes and caches the classifier, the second must not
  // touch the text tower.
  ZeroshotOptions run;
  run.encoder = work.encoder;
  run.classes = class_list(options.classes);
  run.templates = options.templates;
  run.json = true;
  run.cache_dir = work.dir + "/cache";
  run.inputs = {work.dir + "/images"};
  nlohmann::json runs = nlohmann::json::array();
  for (const char* name : {"first (classifier computed)", "second (classifier cached)"}) {
    const auto t = Clock::now();
    const ZeroshotSummary summary = run_zeroshot(run, sink, sink);
    const double seconds = seconds_since(t);
    runs.push_back({{"run", name}, {"seconds", seconds}, {"images_per_s", summary.classified / seconds},
                    {"classifier_from_cache", summary.classifier_from_cache}, {"text_tower_calls", summary.text_tower_calls}});
    sink.str("");
  }
  print_report("zeroshot", {{"model", options.model}, {"images", options.images}, {"batch", options.batch},
                            {"classes", options.classes}, {"templates", options.templates},
                            {"image_path", {{"decode_preprocess_s", decode_s}, {"model_s", model_s},
                                            {"decode_images_per_s", options.images / decode_s},
                                            {"model_images_per_s", options.images / model_s},
                                            {"images_per_s", options.images / (decode_s + model_s)}}},
                            {"end_to_end", runs}});
}

void run_rerank_benchmark(const InferenceBenchOptions& options) {
  int most = 0;
  for (int n : options.rerank_sizes) most = std::max(most, n);
  if (most <= 0 || options.prompts <= 0) throw usage_error("bench rerank: sizes and --prompts must be positive");
  InferenceBenchOptions sized = options;
  sized.images = most * options.prompts;
  const Workspace work(sized);
  Encoder encoder(work.encoder);
  std::ostringstream sink;
  rank_images(encoder, "warm up", {work.images.front()}, 0, sink);
  nlohmann::json results = nlohmann::json::array();
  for (int n : options.rerank_sizes) {
    const auto t = Clock::now();
    for (int p = 0; p < options.prompts; ++p) {
      const std::vector<std::string> images(work.images.begin() + p * n, work.images.begin() + (p + 1) * n);
      rank_images(encoder, "a photo of prompt number " + std::to_string(p), images, 0, sink);
    }
    const double seconds = seconds_since(t);
    results.push_back({{"images_per_prompt", n}, {"prompts", options.prompts}, {"prompts_per_s", options.prompts / seconds},
                       {"images_per_s", options.prompts * n / seconds}});
  }
  print_report("rerank", {{"model", options.model}, {"results", results}});
}

}  // namespace clipforge::bench
