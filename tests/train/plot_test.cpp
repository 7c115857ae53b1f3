// `clipforge plot` on damaged metrics logs: missing fields, strings for numbers, a truncated last
// line. Each bad point is left out of its chart and counted; the good ones are all plotted.
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/error.h"
#include "support/reference.h"
#include "support/run_cli.h"
#include "train/plot.h"

using namespace clipforge;

namespace {
const char* kDamagedLog =
    R"({"step": 1, "epoch": 0, "loss": 4.5, "lr": 0.001, "temperature": 0.07, "samples_per_s": 100})" "\n"
    R"({"step": 2, "epoch": 0, "loss": "nan", "lr": 0.002, "temperature": 0.07})" "\n"  // string loss, no samples_per_s
    R"({"step": "3", "loss": 4.0})" "\n"                                                 // step as a string
    "\n"
    R"({"step": 4, "epoch": 0, "loss": 3.5, "lr": null, "temperature": 0.06, "samples_per_s": 120})" "\n"
    R"({"step": 4, "epoch": 1, "eval": {"val_loss": 3.9, "zeroshot": {"top5": 0.9}, "retrieval": {"image_to_text_R@1": 0.25, "text_to_image_R@1": "x"}}})" "\n"
    R"({"step": 5, "eval": 7})" "\n"
    R"([1, 2])" "\n"
    R"({"step": 6, "epoch": 1, "loss": 3.)";  // the run was killed mid-write

std::vector<double> xs(const Series& s) { return s.x; }
std::vector<double> ys(const Series& s) { return s.y; }
}  // namespace

TEST_CASE("plot leaves out and counts bad lines and fields of metrics.jsonl, keeping every good point", "[train][plot]") {
  const std::string dir = testing::temp_dir() + "/plot_damaged";
  std::filesystem::remove_all(dir);
  testing::write_text(dir + "/metrics.jsonl", kDamagedLog);
  const MetricsLog log = read_metrics_log(dir + "/metrics.jsonl");
  CHECK(xs(log.steps.at("loss")) == std::vector<double>{1, 4});
  CHECK(ys(log.steps.at("loss")) == std::vector<double>{4.5, 3.5});
  CHECK(xs(log.steps.at("lr")) == std::vector<double>{1, 2});
  CHECK(ys(log.steps.at("temperature")) == std::vector<double>{0.07, 0.07, 0.06});
  CHECK(xs(log.steps.at("samples_per_s")) == std::vector<double>{1, 4});
  CHECK(ys(log.evals.at("val_loss")) == std::vector<double>{3.9});
  CHECK(ys(log.evals.at("image->text R@1")) == std::vector<double>{0.25});
  CHECK(log.evals.count("zero-shot top-1") == 0);
  CHECK(log.evals.count("text->image R@1") == 0);
  // Lines: step "3", [1, 2], the truncated one. Fields: loss "nan", samples_per_s missing (step 2),
  // lr null (4), zeroshot.top1 missing, text_to_image_R@1 "x", eval 7.
  CHECK(log.skipped_lines == 3);
  CHECK(log.first_skipped_line == "line 3");
  CHECK(log.skipped_fields == 6);
  CHECK(log.first_skipped_field == "line 2: loss");
  CHECK(skipped_summary("m.jsonl", log) ==
        "m.jsonl: left out 3 lines (line 3) and 6 fields (line 2: loss) that are not JSON, missing or not numbers");

  const PlotResult result = plot_run(dir);
  CHECK(result.written == std::vector<std::string>{dir + "/plots/loss.png", dir + "/plots/lr.png", dir + "/plots/temperature.png",
                                                   dir + "/plots/throughput.png", dir + "/plots/val_loss.png",
                                                   dir + "/plots/eval.png"});
  for (const auto& path : result.written) CHECK(std::filesystem::file_size(path) > 1000);
}

TEST_CASE("plot of a clean log reports nothing skipped, and a log without usable steps is an input error", "[train][plot]") {
  const std::string dir = testing::temp_dir() + "/plot_clean";
  std::filesystem::remove_all(dir);
  testing::write_text(dir + "/metrics.jsonl", R"({"step": 1, "loss": 2, "lr": 1e-3, "temperature": 0.07, "samples_per_s": 9})" "\n");
  const PlotResult clean = plot_run(dir);
  CHECK(clean.log.skipped_lines == 0);
  CHECK(clean.log.skipped_fields == 0);
  CHECK(skipped_summary("m", clean.log).empty());
  CHECK(clean.written.size() == 4);

  testing::write_text(dir + "/metrics.jsonl", "{\"step\": \"1\"}\n{\"ste");
  try {
    plot_run(dir);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kInput);
    CHECK(std::string(e.what()) == dir + "/metrics.jsonl: no step lines to plot");
  }
}

TEST_CASE("clipforge plot warns once about a damaged log and still writes the charts", "[train][plot][cli]") {
  const std::string dir = testing::temp_dir() + "/plot_cli";
  std::filesystem::remove_all(dir);
  testing::write_text(dir + "/metrics.jsonl", kDamagedLog);
  const auto run = testing::run_cli("plot " + dir);
  CHECK(run.exit_code == 0);
  CHECK(run.err == "clipforge: warning: " + dir +
                       "/metrics.jsonl: left out 3 lines (line 3) and 6 fields (line 2: loss) that are not JSON, missing or not numbers\n");
  CHECK(testing::lines_of(run.out).size() == 6);
}
