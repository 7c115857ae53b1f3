#include "eval/trained_colours.h"

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "support/colour_shards.h"
#include "support/reference.h"
#include "train/trainer.h"

namespace clipforge::testing {

const TrainedColours& trained_colours() {
  static const TrainedColours model = [] {
    const std::string dir = temp_dir() + "/trained_colours";
    TrainConfig c;
    c.train_data = write_colour_shards(dir + "/shards", 32);  // creates `dir` for the config too
    c.model = write_tiny_model_config(dir);
    c.batch_size = 8;
    c.epochs = 6;
    c.optimizer.lr = 1e-3;  // 3e-3 stays at chance with this tiny config
    c.optimizer.weight_decay = 0.1;
    c.warmup = 2;
    c.workers = 2;
    c.logs = dir + "/runs";
    c.name = "colours";
    c.log_every = 100;
    const nlohmann::json summary = train(c);
    return TrainedColours{summary["weights"].get<std::string>(), colour_names(), dir + "/runs/colours/vocab.txt.gz"};
  }();
  return model;
}

std::string trained_colours_flags() {
  const TrainedColours& model = trained_colours();
  return "--weights " + model.weights + " --vocab " + model.vocab + " ";
}

std::vector<std::string> write_colour_images(const std::string& dir, int per_colour) {
  std::filesystem::create_directories(dir);
  std::mt19937 rng(99);  // not the training shards' seed: held-out images
  std::vector<std::string> paths;
  for (size_t label = 0; label < colour_names().size(); ++label)
    for (int i = 0; i < per_colour; ++i) {
      paths.push_back(dir + "/" + colour_names()[label] + "_" + std::to_string(i) + ".png");
      cv::imwrite(paths.back(), noisy_colour_square(int(label), rng));
    }
  return paths;
}

}  // namespace clipforge::testing
