// The CLI as a user meets it: exit codes, one-line errors, and output that other tools can read.
#include <ATen/Context.h>
#include <torch/version.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bench/bench_tokenizer.h"
#include "clipforge/torch_features.h"
#include "model/load.h"
#include "model/model_fixtures.h"
#include "support/reference.h"
#include "support/run_cli.h"

using namespace clipforge;
using testing::run_cli;

namespace {

// A failed command prints exactly one line on stderr, prefixed and naming `what`.
void check_one_line_error(const testing::CliResult& r, int exit_code, const std::string& what) {
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == exit_code);
  CHECK(r.err.rfind("clipforge: error: ", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Contains(what));
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = testing::temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

}  // namespace

TEST_CASE("info reports the loaded BLAS and the chosen thread count", "[cli][info]") {
  auto r = run_cli("info --json --threads 2");
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["blas"]["name"] == (at::hasMKL() ? "MKL" : "OpenBLAS"));  // see the machine_info test
  CHECK(j["intra_op_threads"] == 2);
  CHECK(j["blas"]["threads"] == 2);
  CHECK(j["cuda"]["available"].is_boolean());
  // What this build was configured against (cmake/torch_features.cmake read the LibTorch).
  CHECK(j["libtorch"] == TORCH_VERSION);
  CHECK(j["cuda"]["built_with_cuda"] == (CLIPFORGE_HAVE_CUDA == 1));
  CHECK(j["collectives"]["gloo"] == true);
  CHECK(j["collectives"]["nccl"] == (CLIPFORGE_HAVE_NCCL == 1));
  if (CLIPFORGE_HAVE_CUDA) {
    CHECK_THAT(j["cuda"]["runtime"].get<std::string>(), Catch::Matches("[0-9]+\\.[0-9]+"));
    CHECK_THAT(j["collectives"]["nccl_version"].get<std::string>(), Catch::Matches("[0-9]+\\.[0-9]+\\.[0-9]+"));
  } else {
    CHECK(j["cuda"]["runtime"].is_null());
    CHECK(j["collectives"]["nccl_version"].is_null());
  }
  // A LibTorch with MKL must get its matmuls: the binary links it ahead of the system BLAS.
  CHECK(j["aten_matmul"] == (at::hasMKL() ? "MKL (inside LibTorch)" : "the system BLAS"));
#if defined(__SANITIZE_ADDRESS__)
  CHECK(j["large_allocations"] == "mmap");  // ASan's allocator replaces glibc's and refuses mallopt
#else
  CHECK(j["large_allocations"] == "heap");
#endif
  auto text = run_cli("info");
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("BLAS:") && Catch::Contains(at::hasMKL() ? "MKL" : "OpenBLAS") &&
                           Catch::Contains("intra-op threads") &&
                           Catch::Contains("CUDA:") && Catch::Contains("NCCL:") && Catch::Contains("ATen matmul:"));
}

TEST_CASE("convert refuses bad weights with one line and a non-zero exit", "[cli][convert]") {
  const std::string out = testing::temp_dir() + "/never_written.safetensors";
  check_one_line_error(run_cli("convert " + write_temp("trunc.safetensors", "abc") + " " + out), 3, "trunc.safetensors");
  check_one_line_error(run_cli("convert /nonexistent/w.safetensors " + out), 3, "/nonexistent/w.safetensors");
  const std::string bad_config = write_temp(
      "timm.json", R"({"embed_dim": 8, "vision_cfg": {"timm_model_name": "vit", "image_size": 32, "layers": 1,
                       "width": 64, "patch_size": 8},
                       "text_cfg": {"context_length": 8, "vocab_size": 10, "width": 8, "heads": 1, "layers": 1}})");
  check_one_line_error(run_cli("convert --model " + bad_config + " x.pt " + out), 2, "vision_cfg.timm_model_name");
  std::ifstream never(out);
  CHECK_FALSE(never.good());
}

TEST_CASE("convert refuses weights that do not match the config", "[cli][convert]") {
  torch::manual_seed(0);
  const std::string path = testing::temp_dir() + "/rn.safetensors";
  save_model(path, load_model({"tiny-RN", ""}).model);
  check_one_line_error(run_cli("convert --model tiny-ViT " + path + " " + testing::temp_dir() + "/o.safetensors"), 4,
                       "missing keys");
}

TEST_CASE("convert turns a TorchScript archive into self-describing safetensors", "[cli][convert]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(dir, "reference/models/vit_tiny");
  const auto manifest = testing::load_manifest(dir);
  const std::string config = write_temp("vit_tiny.json", manifest["open_clip_model_config"].dump());
  const std::string out = testing::temp_dir() + "/vit_tiny_converted.safetensors";
  auto r = run_cli("convert --model " + config + " " + dir + "/vit_tiny_jit.pt " + out);
  REQUIRE(r.exit_code == 0);
  // No config needed any more: the file carries it.
  LoadedModel loaded = load_model({"", out});
  CHECK(loaded.config.text.heads == 2);
  const auto expected = testing::load_expected(dir);
  c10::InferenceMode inference;
  CHECK(testing::tolerance_excess(loaded.model->encode_text(expected.at("text_tokens")), expected.at("text_features")) <= 0);
}

TEST_CASE("bench model prints JSON figures with what they ran on", "[cli][bench]") {
  auto r = run_cli("bench model --model tiny-ViT --batch 2 --warmup 0 --iters 1 --threads 1");
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["benchmark"] == "model");
  // Debian's LibTorch calls the system's OpenBLAS; PyPI's keeps its own MKL.
  CHECK(j["environment"]["blas"]["name"] == (at::hasMKL() ? "MKL" : "OpenBLAS"));
  CHECK(j["environment"]["intra_op_threads"] == 1);
  CHECK_FALSE(j["environment"]["build_type"].get<std::string>().empty());
  CHECK(j["results"]["encode_image"]["per_s"].get<double>() > 0);
  CHECK(j["results"]["encode_text_full_context"]["per_s"].get<double>() > 0);
}

TEST_CASE("bench tokenizer writes the captions it timed for a peer to time the same", "[cli][bench]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab, "data/bpe_simple_vocab_16e6.txt.gz");
  const std::string captions = testing::temp_dir() + "/captions.txt";
  auto r = run_cli("bench tokenizer --vocab " + vocab + " --captions 50 --captions-out " + captions);
  REQUIRE(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["results"]["captions"] == 50);
  CHECK(j["results"]["batch_cold_cache"]["captions_per_s"].get<double>() > 0);
  CHECK_FALSE(j["results"]["batch_cold_cache"].contains("ratio"));  // no peer measured here, so no ratio
  std::ifstream in(captions);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  CHECK(lines == bench::benchmark_captions(50, bench::TokenizerBenchConfig{}.seed));
}

TEST_CASE("an unknown subcommand or flag is a usage error", "[cli]") {
  CHECK(run_cli("frobnicate").exit_code == 2);
  CHECK(run_cli("info --no-such-flag").exit_code == 2);
}
