// The gradient all-reduce overlaps backward: buckets hold gradients in the order backward makes
// them, each is launched by the hook that completes it, before backward returns.
#include <catch2/catch.hpp>

#include <algorithm>

#include "dist/gradient_sync.h"
#include "dist/two_ranks.h"
#include "train/contrastive_step.h"
#include "train/optimizer.h"

using namespace clipforge;

namespace {

struct StepRecord {
  size_t launched_before_backward_returned = 0;
  std::vector<GradientSync::Launch> launches;
  std::vector<std::vector<std::string>> buckets;  // parameter names per bucket
};

}  // namespace

TEST_CASE("gradient buckets follow backward's order and are launched during it", "[dist][overlap]") {
  torch::manual_seed(5);
  const ModelConfig config = load_model_config("tiny-ViT");
  CLIP initial(config);
  const std::vector<testing::GlobalBatch> batches = testing::random_batches(config, 3, 8);
  std::vector<std::vector<StepRecord>> records(2, std::vector<StepRecord>(batches.size()));

  testing::on_ranks(2, [&](int rank, DistGroup& group) {
    CLIP model = testing::copy_of(initial);
    NamedOptimizer opt = make_adamw(*model, {});
    GradientSync sync(group, opt.parameters, BucketSizes{8 << 10, 32 << 10});
    for (size_t s = 0; s < batches.size(); ++s) {
      opt.optimizer->zero_grad();
      contrastive_backward(model, {batches[s].images.chunk(2)[rank]}, {batches[s].tokens.chunk(2)[rank]},
                           Precision::kFp32, 1.0, {&group, &sync, true});
      StepRecord& record = records[rank][s];
      record.launched_before_backward_returned = sync.last_launches().size();
      sync.finish();
      record.launches = sync.last_launches();
      for (int b = 0; b < sync.bucket_count(); ++b) {
        record.buckets.emplace_back();
        for (size_t index : sync.bucket_members(b)) record.buckets.back().push_back(opt.names[index]);
      }
      opt.optimizer->step();
    }
  });

  for (int rank = 0; rank < 2; ++rank) {
    INFO("rank " << rank);
    // The first step only learns the order: everything is reduced after backward.
    CHECK(records[rank][0].launched_before_backward_returned == 0);
    for (size_t s = 1; s < batches.size(); ++s) {
      INFO("step " << s);
      const StepRecord& record = records[rank][s];
      REQUIRE(record.buckets.size() >= 5);
      CHECK(record.buckets == records[0][s].buckets);  // every rank holds the same layout
      CHECK(record.launched_before_backward_returned == record.buckets.size());
      // Each bucket went out the moment its last gradient arrived, no later: bucket k launched
      // when exactly the gradients of buckets 0..k had arrived.
      size_t arrived = 0;
      for (size_t k = 0; k < record.launches.size(); ++k) {
        arrived += record.buckets[k].size();
        CHECK(record.launches[k].bucket == static_cast<int>(k));
        CHECK(record.launches[k].gradients_ready == arrived);
        CHECK(record.launches[k].during_backward);
      }
      // The last layers go out first, the first layers last. On the CPU backward runs the text
      // tower (encoded last) before the image tower. Registration order would put the token
      // embedding (registered after the text blocks) before them, though its gradient comes after.
      auto bucket_of = [&](const std::string& name) {
        for (size_t b = 0; b < record.buckets.size(); ++b)
          if (std::count(record.buckets[b].begin(), record.buckets[b].end(), name)) return static_cast<int>(b);
        return -1;
      };
      INFO("first buckets: " << [&] {
        std::string names;
        for (size_t b = 0; b < 3; ++b) {
          for (const auto& name : record.buckets[b]) names += name + " ";
          names += "| ";
        }
        return names;
      }());
      CHECK(bucket_of("logit_scale") == 0);
      CHECK(bucket_of("text_projection") <= 2);
      CHECK(bucket_of("token_embedding.weight") >= bucket_of("transformer.resblocks.0.ln_1.weight"));
      CHECK(bucket_of("visual.proj") > bucket_of("token_embedding.weight"));
      CHECK(bucket_of("visual.conv1.weight") >= bucket_of("visual.transformer.resblocks.0.ln_1.weight"));
      CHECK(bucket_of("visual.conv1.weight") == static_cast<int>(record.buckets.size()) - 1);
    }
  }
}
