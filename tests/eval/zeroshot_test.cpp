#include "eval/zeroshot.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "support/reference.h"
#include "support/run_cli.h"

using namespace clipforge;

TEST_CASE("classification metrics count top-1, top-5 and confusions", "[eval][zeroshot]") {
  torch::Tensor logits = torch::tensor({{3.0f, 1.0f, 0.0f}, {0.0f, 1.0f, 3.0f}, {0.0f, 2.0f, 1.0f}, {1.0f, 0.0f, 0.5f}});
  torch::Tensor labels = torch::tensor({0, 1, 1, 2});
  auto m = classification_metrics(logits, labels, {"a", "b", "c"});
  CHECK(m["top1"].get<double>() == Approx(0.5));
  CHECK(m["top5"].get<double>() == Approx(1.0));
  CHECK(m["per_class_top1"]["b"].get<double>() == Approx(0.5));
  CHECK(m["confusion"][1][2] == 1);
  CHECK(m["confusion"][2][0] == 1);
}

TEST_CASE("zero-shot inputs are validated with clear errors", "[eval][zeroshot]") {
  CHECK_THROWS_WITH(validate_zeroshot_inputs({}, {"{}"}), Catch::Contains("no class names"));
  CHECK_THROWS_WITH(validate_zeroshot_inputs({"cat", " "}, {"{}"}), Catch::Contains("class 2 has an empty name"));
  CHECK_THROWS_WITH(validate_zeroshot_inputs({"cat"}, {"a photo"}), Catch::Contains("has no {}"));
  CHECK_THROWS_WITH(builtin_templates("imagenet-80"), Catch::Contains("unknown template set"));
  for (const auto& t : builtin_templates("general")) CHECK(t.find("{}") != std::string::npos);
}

TEST_CASE("class and template lists follow one set of rules for every command", "[eval][zeroshot]") {
  CHECK(read_class_names("cat,dog") == std::vector<std::string>{"cat", "dog"});
  // A trailing comma is an empty last name, which validation then reports by position.
  CHECK(read_class_names("cat,dog,") == std::vector<std::string>{"cat", "dog", ""});
  CHECK_THROWS_WITH(validate_zeroshot_inputs(read_class_names("cat,dog,"), {"{}"}), Catch::Contains("class 3"));
  // A literal template is one template, commas and all (train used to split it on them).
  CHECK(resolve_templates("a photo of a {}, seen from afar") == std::vector<std::string>{"a photo of a {}, seen from afar"});
  CHECK(resolve_templates("small") == builtin_templates("small"));
  const std::string file = testing::write_text(testing::temp_dir() + "/templates.txt", "a {}.\r\nan {}, big\r\n\r\n");
  CHECK(resolve_templates(file) == std::vector<std::string>{"a {}.", "an {}, big"});
  const std::string classes = testing::write_text(testing::temp_dir() + "/classes.txt", "cat\n\ndog\n\n");
  CHECK(read_class_names(classes) == std::vector<std::string>{"cat", "", "dog"});  // inner blank kept, reported
}

TEST_CASE("a sample's label is its class index or its class name", "[eval][zeroshot]") {
  const std::vector<std::string> classes = {"cat", "dog"};
  CHECK(sample_label(R"({"label": 1})", classes) == 1);
  CHECK(sample_label(R"({"label": "cat"})", classes) == 0);
  CHECK(sample_label(R"({"label": 2})", classes) == -1);
  CHECK(sample_label(R"({"label": -1})", classes) == -1);
  CHECK(sample_label(R"({"label": "cow"})", classes) == -1);
  CHECK(sample_label(R"({"caption": "a cat"})", classes) == -1);
  CHECK(sample_label("not json", classes) == -1);
  CHECK(sample_label("", classes) == -1);
}
