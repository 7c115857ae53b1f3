// `clipforge shards make` writes WebDataset shards; `clipforge shards check` reads a shard list
// through the real loader and reports what it would skip.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "data/make_shards.h"
#include "data/shards_check.h"

namespace clipforge::cli {
namespace {

void print_check(const nlohmann::json& report) {
  std::cout << "shards " << report["shards"] << ", samples " << report["samples"] << ", ok " << report["ok"] << "\n";
  for (const auto& [reason, count] : report["skipped"].items()) std::cout << "skipped " << reason << ": " << count << "\n";
  for (const auto& [shard, counts] : report["per_shard"].items()) {
    std::cout << shard << ": samples " << counts["samples"] << ", ok " << counts["ok"];
    for (const auto& [reason, count] : counts["skipped"].items()) std::cout << ", " << reason << " " << count;
    std::cout << "\n";
  }
}

void register_make(CLI::App& shards) {
  auto config = std::make_shared<data::MakeShardsConfig>();
  CLI::App* cmd = shards.add_subcommand("make", "write img2dataset-style shards (KEY.jpg, KEY.txt, KEY.json) and sizes.json");
  auto* csv = cmd->add_option("--csv", config->csv, "CSV of image paths and captions (see --csv-img-key, --csv-caption-key)");
  auto* folder = cmd->add_option("--imagefolder", config->imagefolder,
                                 "folder of images; caption from STEM.txt beside each image, else its folder's name");
  csv->excludes(folder);
  cmd->add_option("--out", config->out, "output folder")->required();
  cmd->add_option("--shard-size", config->shard_size, "samples per shard")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--max-side", config->max_side, "shrink the longer side to this (0 = keep)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_csv_options(cmd, config->csv_format);
  add_max_image_pixels_option(cmd, config->max_image_pixels);
  cmd->callback([config] { std::cout << data::make_shards(*config).dump() << "\n"; });
}

void register_check(CLI::App& shards) {
  auto config = std::make_shared<data::CheckConfig>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = shards.add_subcommand("check", "read every sample through the loader; print counts, skips by reason, per shard");
  cmd->add_option("urls", config->urls, "shard list: braces, '::', pipe:COMMAND or a .csv")->required();
  cmd->add_option("--workers", config->workers, "reader threads (0 = one per core)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", *json, "print one JSON object");
  add_csv_options(cmd, config->csv);
  add_max_image_pixels_option(cmd, config->max_image_pixels);
  cmd->callback([config, json] {
    const nlohmann::json report = data::check_shards(*config);
    if (*json) std::cout << report.dump() << "\n";
    else print_check(report);
  });
}

}  // namespace

void register_shards(CLI::App& app) {
  CLI::App* shards = app.add_subcommand("shards", "build and check WebDataset shards");
  shards->require_subcommand(1);
  register_make(*shards);
  register_check(*shards);
}

}  // namespace clipforge::cli
