// `clipforge datasets fashion-mnist`: the demo's data, from Debian's dataset-fashion-mnist.
#include <iostream>

#include "cli/commands.h"
#include "data/fashion_mnist.h"
#include "eval/zeroshot.h"

namespace clipforge::cli {

void register_datasets(CLI::App& app) {
  auto* group = app.add_subcommand("datasets", "write known datasets as WebDataset shards");
  group->require_subcommand(1);
  auto config = std::make_shared<data::FashionMnistConfig>();
  auto templates = std::make_shared<std::string>("small");
  auto* cmd = group->add_subcommand("fashion-mnist", "Fashion-MNIST: train shards with template captions, labelled test shards");
  cmd->add_option("--source", config->source, "folder with the IDX .gz files")->capture_default_str();
  cmd->add_option("--out", config->out, "output folder")->required();
  cmd->add_option("--templates", *templates, "training caption templates: a file with one per line, a built-in set (general, small), or one template with {}")->capture_default_str();
  cmd->add_option("--shard-size", config->shard_size)->capture_default_str();
  cmd->add_option("--seed", config->seed)->capture_default_str();
  cmd->callback([config, templates] {
    config->train_templates = resolve_templates(*templates);
    std::cout << data::write_fashion_mnist_shards(*config).dump(2) << std::endl;
  });
}

}  // namespace clipforge::cli
