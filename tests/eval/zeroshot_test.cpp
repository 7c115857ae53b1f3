#include "eval/zeroshot.h"

#include <catch2/catch.hpp>

#include "core/error.h"

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
