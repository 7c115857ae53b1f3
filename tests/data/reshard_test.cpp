// Resuming an epoch on another layout (world size, workers, batch size): the samples the saved
// readers had left are delivered once each, in the documented order, with their augmentation.
#include <catch2/catch.hpp>

#include <memory>

#include "core/error.h"
#include "data/data_fixtures.h"
#include "data/loader.h"
#include "data/reshard.h"

using namespace clipforge;

namespace {

struct Layout {
  int world_size, workers, batch_size;
};

data::LoaderState saved_state(int rank, std::vector<data::StreamSegment> remaining) {
  data::LoaderState state;
  state.epoch = 3;
  state.seed = 11;
  state.rank = rank;
  state.world_size = 2;
  state.batch_size = 2;
  state.workers.push_back({std::move(remaining), false});
  return state;
}

// The kind of Error that reshard(saved, 3, 2) throws, and its message.
std::pair<ErrorKind, std::string> reshard_error(const std::vector<data::LoaderState>& saved) {
  try {
    data::reshard(saved, 3, 2);
  } catch (const Error& e) {
    return {e.kind(), e.what()};
  }
  FAIL("reshard accepted the states");
  return {};
}

bool same_segment(const data::StreamSegment& a, const data::StreamSegment& b) {
  return a.reader == b.reader && a.readers == b.readers && a.start == b.start && a.skip == b.skip && a.take == b.take;
}

// 5 shards of 7 samples and one of 4 whose first image is undecodable: positions must count it.
data::LoaderConfig dataset_config() {
  static const std::string urls = [] {
    const std::string dir = testing::fresh_dir("reshard");
    const std::string good = testing::write_dataset(dir, 5, 7);
    testing::write_shard_with_undecodable_image(dir + "/bad.tar");
    return good + "::" + dir + "/bad.tar";
  }();
  data::LoaderConfig config = testing::test_config(urls);
  config.num_samples = 60;  // more than the 38 there are: readers cycle over their shards
  return config;
}

std::vector<std::unique_ptr<data::Loader>> make_loaders(const Layout& layout) {
  std::vector<std::unique_ptr<data::Loader>> loaders;
  for (int rank = 0; rank < layout.world_size; ++rank) {
    data::LoaderConfig config = dataset_config();
    config.rank = rank;
    config.world_size = layout.world_size;
    config.workers = layout.workers;
    config.batch_size = layout.batch_size;
    loaders.push_back(std::make_unique<data::Loader>(config));
  }
  return loaders;
}

// What each reader (rank * workers + worker) delivers from here to the end of the epoch, one
// string per sample: its key and its transformed pixels.
std::vector<std::vector<std::string>> drain(std::vector<std::unique_ptr<data::Loader>>& loaders) {
  std::vector<std::vector<std::string>> readers;
  for (auto& loader : loaders) {
    const int workers = loader->workers();
    const std::size_t first = readers.size();
    readers.resize(first + workers);
    // Fixed-length epochs: every worker delivers the same number of batches, so they alternate.
    int worker = loader->state().next_worker;
    while (auto batch = loader->next()) {
      const std::size_t pixels = batch->images.size() / batch->size;
      for (int i = 0; i < batch->size; ++i) {
        readers[first + worker].push_back(batch->keys[i] + '\0' +
                                          std::string(batch->images.begin() + i * pixels, batch->images.begin() + (i + 1) * pixels));
      }
      worker = (worker + 1) % workers;
    }
  }
  return readers;
}

// Runs `from` for `batches` steps, saves every rank's state, then checks that `to` restored from
// those states delivers what `from` had left, in saved reader order, cut into equal whole-batch
// parts with only the short tail dropped. Returns `to`'s loaders, positioned after `to_batches`.
std::vector<std::unique_ptr<data::Loader>> check_reshard(std::vector<std::unique_ptr<data::Loader>>& from, int batches,
                                                         const Layout& to, int to_batches) {
  std::vector<data::LoaderState> states;
  for (auto& loader : from) {
    for (int i = 0; i < batches; ++i) REQUIRE(loader->next());
    states.push_back(data::LoaderState::from_json(nlohmann::json::parse(loader->state().to_json().dump())));
  }
  std::vector<std::string> left;
  for (const auto& reader : drain(from)) left.insert(left.end(), reader.begin(), reader.end());

  auto resumed = make_loaders(to);
  std::int64_t batches_left = -1;
  for (auto& loader : resumed) {
    CHECK(loader->restore(states) == true);
    if (batches_left >= 0) CHECK(loader->batches_left() == batches_left);  // every rank runs the same steps
    batches_left = loader->batches_left();
  }
  const std::size_t readers = static_cast<std::size_t>(to.world_size) * to.workers;
  const std::size_t per_reader = left.size() / (readers * to.batch_size) * to.batch_size;
  CHECK(batches_left == static_cast<std::int64_t>(per_reader / to.batch_size) * to.workers);

  auto check = make_loaders(to);
  for (auto& loader : check) loader->restore(states);
  const auto delivered = drain(check);
  REQUIRE(delivered.size() == readers);
  for (std::size_t r = 0; r < readers; ++r) {
    INFO("new reader " << r);
    CHECK(delivered[r] == std::vector<std::string>(left.begin() + r * per_reader, left.begin() + (r + 1) * per_reader));
  }
  for (auto& loader : resumed) {
    for (int i = 0; i < to_batches; ++i) REQUIRE(loader->next());
  }
  return resumed;
}

}  // namespace

TEST_CASE("reshard cuts what the saved readers had left into equal whole-batch parts", "[data][loader][reshard]") {
  // Samples left: 10 in reader 0's stream (from index 4), 7 in reader 1's (its skip of 1 kept).
  const std::vector<data::LoaderState> saved = {saved_state(0, {{0, 2, 4, 0, 10}}), saved_state(1, {{1, 2, 9, 1, 7}})};
  const data::Reshard plan = data::reshard(saved, 3, 2);
  CHECK(plan.samples_left == 17);
  CHECK(plan.samples_dropped == 5);  // 17 = 3 readers x 2 batches of 2 + 5
  REQUIRE(plan.readers.size() == 3);
  REQUIRE(plan.readers[0].size() == 1);
  CHECK(same_segment(plan.readers[0][0], {0, 2, 4, 0, 4}));
  REQUIRE(plan.readers[1].size() == 1);
  CHECK(same_segment(plan.readers[1][0], {0, 2, 4, 4, 4}));
  REQUIRE(plan.readers[2].size() == 2);
  CHECK(same_segment(plan.readers[2][0], {0, 2, 4, 8, 2}));
  CHECK(same_segment(plan.readers[2][1], {1, 2, 9, 1, 2}));
}

TEST_CASE("reshard refuses states of different epochs or seeds, and open-ended streams", "[data][loader][reshard]") {
  std::vector<data::LoaderState> saved = {saved_state(0, {{0, 2, 4, 0, 10}}), saved_state(1, {{1, 2, 9, 0, 7}})};
  saved[1].epoch = 4;
  CHECK(reshard_error(saved).first == ErrorKind::kMismatch);
  CHECK_THAT(reshard_error(saved).second, Catch::Contains("epoch 4"));
  saved[1].epoch = 3;
  saved[1].seed = 12;
  CHECK_THAT(reshard_error(saved).second, Catch::Contains("seed 12"));
  saved[1].seed = 11;
  saved[1].workers[0].remaining[0].take = -1;
  CHECK(reshard_error(saved).first == ErrorKind::kMismatch);
  CHECK_THAT(reshard_error(saved).second, Catch::Contains("rank 1") && Catch::Contains("cannot be resharded"));
}

TEST_CASE("an epoch resumed on fewer ranks delivers each left sample once", "[data][loader][reshard]") {
  auto four = make_loaders({4, 1, 2});
  check_reshard(four, 3, {2, 1, 2}, 0);
}

TEST_CASE("an epoch resumed on more ranks, then on fewer again, delivers each left sample once",
          "[data][loader][reshard]") {
  auto two = make_loaders({2, 1, 2});
  auto three = check_reshard(two, 4, {3, 1, 2}, 2);
  // A resharded position saves and resumes like any other: on its own layout exactly, on
  // another by the same rule.
  check_reshard(three, 1, {2, 1, 2}, 0);
}

TEST_CASE("an epoch resumed with other workers and batch size delivers each left sample once", "[data][loader][reshard]") {
  auto wide = make_loaders({2, 2, 2});
  check_reshard(wide, 3, {2, 1, 3}, 0);
}

TEST_CASE("a resharded position resumes exactly on its own layout", "[data][loader][reshard]") {
  auto two = make_loaders({2, 1, 2});
  auto three = check_reshard(two, 4, {3, 1, 2}, 2);
  std::vector<data::LoaderState> states;
  for (auto& loader : three) states.push_back(loader->state());
  const auto expected = drain(three);
  auto again = make_loaders({3, 1, 2});
  for (auto& loader : again) CHECK(loader->restore(states) == false);
  CHECK(drain(again) == expected);
}
