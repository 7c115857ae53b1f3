// The loader's guarantees: each sample once per epoch across ranks and workers, the same order
// for the same seed, a new order per epoch, equal batch counts on every rank, exact resume.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "core/error.h"
#include "data/data_fixtures.h"
#include "data/loader.h"
#include "support/reference.h"

using namespace clipforge;
using testing::epoch_keys;
using testing::test_config;

namespace {

std::vector<std::string> all_keys(int shards, int per_shard) {
  std::vector<std::string> keys;
  for (int s = 0; s < shards; ++s) {
    for (int i = 0; i < per_shard; ++i) {
      char key[32];
      std::snprintf(key, sizeof key, "s%02d_%04d", s, i);
      keys.push_back(key);
    }
  }
  return keys;
}

const std::string& eight_shards() {
  static const std::string urls = testing::write_dataset(testing::fresh_dir("eight"), 8, 6);
  return urls;
}

}  // namespace

TEST_CASE("2 ranks x 2 workers read every sample exactly once per epoch", "[data][loader]") {
  for (int epoch : {0, 1}) {
    std::vector<std::string> seen;
    std::int64_t batches[2] = {0, 0};
    for (int rank = 0; rank < 2; ++rank) {
      data::LoaderConfig config = test_config(eight_shards());
      config.rank = rank;
      config.world_size = 2;
      data::Loader loader(config);
      CHECK(loader.num_samples() == 48);
      CHECK(loader.batches_per_epoch() == 8);  // ceil(48 / (3 * 2 * 2)) per worker, 2 workers
      const auto keys = epoch_keys(loader, epoch);
      batches[rank] = static_cast<std::int64_t>(keys.size()) / 3;
      seen.insert(seen.end(), keys.begin(), keys.end());
    }
    CHECK(batches[0] == 8);
    CHECK(batches[1] == 8);
    std::sort(seen.begin(), seen.end());
    CHECK(seen == all_keys(8, 6));
  }
}

TEST_CASE("the same seed gives the same order, another epoch or seed another order", "[data][loader]") {
  data::LoaderConfig config = test_config(eight_shards());
  data::Loader first(config), second(config);
  const auto a0 = epoch_keys(first, 0), b0 = epoch_keys(second, 0);
  CHECK(a0 == b0);
  CHECK(a0.size() == 48);
  const auto a1 = epoch_keys(first, 1);
  CHECK(a1 != a0);
  CHECK(std::set<std::string>(a1.begin(), a1.end()) == std::set<std::string>(a0.begin(), a0.end()));
  config.seed = 7;
  data::Loader other(config);
  CHECK(epoch_keys(other, 0) != a0);
}

TEST_CASE("the train transform's crops repeat with the seed, images included", "[data][loader]") {
  data::LoaderConfig config = test_config(eight_shards());
  data::Loader first(config), second(config);
  first.start_epoch(3);
  second.start_epoch(3);
  for (int i = 0; i < 4; ++i) {
    const auto a = first.next(), b = second.next();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->keys == b->keys);
    CHECK(a->images == b->images);
    CHECK(a->images.size() == 3u * 3 * 8 * 8);
  }
}

TEST_CASE("without shuffling, batches follow list and tar order, round-robin over workers", "[data][loader]") {
  data::LoaderConfig config = test_config(eight_shards());
  config.shuffle_buffer = 0;
  config.workers = 1;
  data::Loader loader(config);
  CHECK(epoch_keys(loader, 0) == all_keys(8, 6));
  config.workers = 2;
  data::Loader two(config);
  const auto keys = epoch_keys(two, 0);
  // Worker 0 reads shards 0, 2, 4, 6 and worker 1 shards 1, 3, 5, 7; batches alternate.
  CHECK(std::vector<std::string>(keys.begin(), keys.begin() + 6) ==
        std::vector<std::string>{"s00_0000", "s00_0001", "s00_0002", "s01_0000", "s01_0001", "s01_0002"});
}

TEST_CASE("a fixed epoch length cycles over the shards and is the same on every rank", "[data][loader]") {
  data::LoaderConfig config = test_config(eight_shards());
  config.num_samples = 100;  // more than the 48 samples: workers cycle
  data::Loader loader(config);
  CHECK(loader.batches_per_epoch() == 34);  // ceil(100 / (3 * 2)) = 17 per worker
  const auto keys = epoch_keys(loader, 0);
  CHECK(keys.size() == 34u * 3);
  config.num_samples = 12;  // fewer: the rest of the shards stays unread
  data::Loader short_epoch(config);
  CHECK(epoch_keys(short_epoch, 0).size() == 12u);
}

TEST_CASE("resampled mode draws shards with replacement, reproducibly", "[data][loader]") {
  data::LoaderConfig config = test_config(eight_shards());
  config.resampled = true;
  config.num_samples = 60;
  data::Loader loader(config), again(config);
  const auto keys = epoch_keys(loader, 0);
  CHECK(keys.size() == 60u);
  CHECK(keys == epoch_keys(again, 0));
  const auto valid = all_keys(8, 6);
  for (const auto& key : keys) CHECK(std::binary_search(valid.begin(), valid.end(), key));
  // 60 draws from 48 samples by whole shards: some sample repeats.
  CHECK(std::set<std::string>(keys.begin(), keys.end()).size() < keys.size());
}

TEST_CASE("restoring a saved state yields exactly the batches of an uninterrupted run", "[data][loader][resume]") {
  const std::string dir = testing::fresh_dir("resume");
  const std::string urls = testing::write_dataset(dir, 5, 7);
  testing::write_shard_with_undecodable_image(dir + "/bad.tar");  // stream positions must count it
  data::LoaderConfig config = test_config(urls + "::" + dir + "/bad.tar");
  config.workers = 3;
  config.batch_size = 2;
  config.num_samples = 60;

  std::vector<data::Batch> uninterrupted;
  data::Loader reference(config);
  reference.start_epoch(2);
  while (auto batch = reference.next()) uninterrupted.push_back(std::move(*batch));
  REQUIRE(uninterrupted.size() == static_cast<std::size_t>(reference.batches_per_epoch()));

  for (std::size_t cut : {std::size_t{0}, std::size_t{4}, std::size_t{11}, uninterrupted.size()}) {
    INFO("cut after " << cut << " batches");
    nlohmann::json saved;
    {
      data::Loader interrupted(config);
      interrupted.start_epoch(2);
      for (std::size_t i = 0; i < cut; ++i) REQUIRE(interrupted.next());
      saved = interrupted.state().to_json();
    }
    data::Loader resumed(config);
    resumed.restore(data::LoaderState::from_json(nlohmann::json::parse(saved.dump())));
    for (std::size_t i = cut; i < uninterrupted.size(); ++i) {
      auto batch = resumed.next();
      REQUIRE(batch);
      CHECK(batch->keys == uninterrupted[i].keys);
      CHECK(batch->images == uninterrupted[i].images);
    }
    CHECK(!resumed.next());
  }
}

TEST_CASE("a state from another configuration is refused", "[data][loader][resume]") {
  data::LoaderConfig config = test_config(eight_shards());
  data::Loader loader(config);
  loader.start_epoch(0);
  loader.next();
  const data::LoaderState state = loader.state();
  config.seed = 99;
  data::Loader other(config);
  CHECK_THROWS_AS(other.restore(state), Error);
  CHECK_THROWS_AS(data::LoaderState::from_json({{"epoch", 1}}), Error);
}

TEST_CASE("captions are tokenised in the workers when a tokenizer is given", "[data][loader]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab, "data/bpe_simple_vocab_16e6.txt.gz");
  const auto tokenizer = text::Tokenizer::from_file(vocab);
  data::LoaderConfig config = test_config(eight_shards());
  config.tokenizer = &tokenizer;
  config.context_length = 10;
  data::Loader loader(config);
  loader.start_epoch(0);
  const auto batch = loader.next();
  REQUIRE(batch);
  REQUIRE(batch->tokens.size() == 30u);
  for (int i = 0; i < batch->size; ++i) {
    CHECK(std::vector<std::int32_t>(batch->tokens.begin() + 10 * i, batch->tokens.begin() + 10 * (i + 1)) ==
          tokenizer.encode(batch->captions[i], 10));
    CHECK(batch->captions[i] == "caption " + batch->keys[i]);
    CHECK(batch->json[i] == "{\"key\": \"" + batch->keys[i] + "\"}");
  }
}

TEST_CASE("the plan names shards, samples, readers and batches, few shards warn", "[data][loader]") {
  data::LoaderConfig config = test_config(eight_shards());
  config.world_size = 2;
  config.workers = 8;
  std::vector<std::string> warnings;
  config.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  data::Loader loader(config);
  const auto plan = loader.plan();
  CHECK(plan["shards"] == 8);
  CHECK(plan["samples"] == 48);
  CHECK(plan["readers"] == 16);
  CHECK(plan["samples_per_reader"] == 3);
  CHECK(plan["batches_per_epoch"] == loader.batches_per_epoch());
  CHECK(plan["samples_from"] == "counted");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("8 shards for 16 readers") != std::string::npos);
}
