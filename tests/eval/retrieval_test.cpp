#include "eval/retrieval.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

using namespace clipforge;

TEST_CASE("retrieval recall counts a hit when the pair ranks within k", "[eval][retrieval]") {
  torch::Tensor eye = torch::eye(12);
  auto perfect = retrieval_recall(eye, eye);
  CHECK(perfect["image_to_text_R@1"] == 1.0);
  CHECK(perfect["text_to_image_R@10"] == 1.0);

  // Texts shifted by one: image i's own text never scores highest. Give each image a weak
  // similarity to its own text so it ranks second.
  torch::Tensor texts = torch::roll(eye, 1, 0) + 0.5 * eye;
  auto shifted = retrieval_recall(eye, texts);
  CHECK(shifted["image_to_text_R@1"] == 0.0);
  CHECK(shifted["image_to_text_R@5"] == 1.0);
}
