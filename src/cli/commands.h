// Each subcommand lives in its own cmd_<name>.cpp and adds itself to the app here.
// A command parses its flags into the library's config structs and calls the library;
// errors are thrown as clipforge::Error and turned into exit codes by main.cpp.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

#include "data/csv_table.h"
#include "eval/encoder_options.h"

namespace clipforge::cli {

// Options every command shares, filled before any command callback runs.
struct GlobalOptions {
  int threads = 0;  // 0 = one per hardware core
  bool quiet = false;
};
const GlobalOptions& global_options();

// Applies --threads to LibTorch and OpenBLAS; commands that compute call it first.
void apply_thread_settings();

void register_info(CLI::App& app);
void register_convert(CLI::App& app);
void register_bench_model(CLI::App& bench);
void register_bench_tokenizer(CLI::App& bench);
void register_tokenize(CLI::App& app);
void register_tokenizer(CLI::App& app);
void register_train(CLI::App& app);
void register_plot(CLI::App& app);
void register_datasets(CLI::App& app);
void register_shards(CLI::App& app);
void register_preprocess(CLI::App& app);
void register_bench_data(CLI::App& bench);
void register_bench_train(CLI::App& bench);
void register_bench_inference(CLI::App& bench);
void register_zeroshot(CLI::App& app);
void register_embed(CLI::App& app);
void register_score(CLI::App& app);
void register_rerank(CLI::App& app);
void register_eval(CLI::App& app);
void register_index(CLI::App& app);
void register_search(CLI::App& app);
void register_serve(CLI::App& app);
void register_bench_search(CLI::App& bench);

// --max-image-pixels of every command that decodes images (0 = no limit, as PIL's None).
void add_max_image_pixels_option(CLI::App* cmd, std::uint64_t& max_pixels);

// OpenCLIP's --csv-separator, --csv-img-key and --csv-caption-key, for commands that read a CSV.
void add_csv_options(CLI::App* cmd, data::CsvOptions& options);

// --model, --weights, --vocab, --device, --precision, --batch-size and --max-image-pixels of the
// inference commands.
// `search` needs weights only for text and image queries, hence weights_required.
void add_encoder_options(CLI::App* cmd, EncoderOptions& options, bool weights_required = true);

}  // namespace clipforge::cli
