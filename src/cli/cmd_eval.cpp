// `clipforge eval zeroshot|retrieval`: benchmark metrics of a model on a dataset, as JSON.
#include <iostream>

#include "cli/commands.h"
#include "eval/dataset_eval.h"

namespace clipforge::cli {

void register_eval(CLI::App& app) {
  auto options = std::make_shared<DatasetEvalOptions>();
  auto* eval = app.add_subcommand("eval", "benchmark metrics of a model on a dataset (JSON)");
  eval->require_subcommand(1);

  auto* zeroshot = eval->add_subcommand("zeroshot", "top-1/top-5, per-class accuracy and confusion matrix");
  add_encoder_options(zeroshot, options->encoder);
  zeroshot->add_option("--data", options->data, "image folder (a subfolder per class) or shards whose json has \"label\"")->required();
  zeroshot->add_option("--classes", options->classes, "class names: a file (one per line) or a comma list")->required();
  zeroshot->add_option("--templates", options->templates, "built-in set (general, small), a file, or one template with {}")
      ->capture_default_str();
  zeroshot->add_option("--workers", options->workers, "shard decoding threads (0 = one per core)");
  add_csv_options(zeroshot, options->csv);
  zeroshot->callback([options] {
    apply_thread_settings();
    std::cout << evaluate_zeroshot(*options, std::cerr).dump() << "\n";
  });

  auto* retrieval = eval->add_subcommand("retrieval", "image-to-text and text-to-image recall@1/5/10");
  add_encoder_options(retrieval, options->encoder);
  retrieval->add_option("--data", options->data, "shard URLs or a .csv of image-caption pairs")->required();
  retrieval->add_option("--workers", options->workers, "decoding threads (0 = one per core)");
  add_csv_options(retrieval, options->csv);
  retrieval->callback([options] {
    apply_thread_settings();
    std::cout << evaluate_retrieval(*options, std::cerr).dump() << "\n";
  });
}

}  // namespace clipforge::cli
