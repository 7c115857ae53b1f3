#include "dist/two_ranks.h"

#include <exception>
#include <map>
#include <thread>

#include "dist/dist_fixtures.h"
#include "model/state_dict.h"

namespace clipforge::testing {

std::vector<GlobalBatch> random_batches(const ModelConfig& config, int count, int batch_size) {
  std::vector<GlobalBatch> out;
  for (int s = 0; s < count; ++s) {
    GlobalBatch batch;
    batch.images = torch::randn({batch_size, 3, config.vision.image_size, config.vision.image_size});
    batch.tokens = torch::randint(1, 1000, {batch_size, 10}, torch::kLong);
    for (int i = 0; i < batch_size; ++i) batch.tokens[i][1 + (i * 3 + s) % 9] = config.text.vocab_size - 1;
    out.push_back(batch);
  }
  return out;
}

CLIP copy_of(const CLIP& model) {
  CLIP copy(model->config());
  std::map<std::string, torch::Tensor> weights;
  for (auto& [name, t] : state_dict(*model)) weights[name] = t;
  load_state_dict(*copy, weights, "copy");
  copy->train();
  return copy;
}

void on_ranks(int world, const std::function<void(int rank, DistGroup& group)>& body) {
  const int port = free_port();
  std::vector<std::exception_ptr> errors(world);
  auto rank_main = [&](int rank) {
    try {
      DistEnvironment env;
      env.rank = rank;
      env.world_size = world;
      env.master_addr = "127.0.0.1";
      env.master_port = port;
      auto group = DistGroup::create(env, std::chrono::seconds(60), torch::kCPU);
      body(rank, *group);
      group->barrier();
    } catch (...) {
      errors[rank] = std::current_exception();
    }
  };
  std::vector<std::thread> others;
  for (int r = 1; r < world; ++r) others.emplace_back(rank_main, r);
  rank_main(0);
  for (auto& t : others) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace clipforge::testing
