#include "bench/bench_tokenizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "bench/report.h"
#include "core/files.h"
#include "text/tokenizer.h"

namespace clipforge::bench {
namespace {

const std::vector<std::string> kSubjects = {
    "a dog", "two cats", "an old man", "a young woman", "children", "a red car", "the bus", "a bird", "three horses",
    "a chef", "the team", "a surfer", "my grandmother", "a small boat", "the city skyline", "a bowl of soup",
    "a girl", "two boys", "a brown bear", "a teddy bear", "the train", "a cyclist", "a group of people", "a laptop"};
const std::vector<std::string> kAdjectives = {
    "happy", "wet", "tiny", "huge", "colorful", "vintage", "blurry", "sunny", "snowy", "crowded", "empty", "wooden",
    "bright", "dark", "beautiful", "famous", "broken", "shiny", "quiet", "busy", "modern", "rustic", "golden"};
const std::vector<std::string> kVerbs = {
    "sitting on", "running through", "standing next to", "looking at", "playing in", "jumping over", "parked near",
    "flying above", "eating", "holding", "walking along", "riding", "sleeping under", "waiting at", "painting"};
const std::vector<std::string> kPlaces = {
    "the beach", "a park", "the kitchen", "a busy street", "the snow", "a wooden table", "the mountains", "a lake",
    "the old bridge", "a train station", "the living room", "a soccer field", "the forest", "a café", "the river"};
const std::vector<std::string> kExtras = {
    "at sunset", "in the rain", "on a cloudy day", "with friends", "during winter", "at night", "in summer",
    "near Zürich", "in São Paulo", "&amp; smiling", "(black and white)", "- stock photo", "#travel", "HDR",
    "in 4K", "from above", "close-up", "!!!", "...", "in Tōkyō"};
const std::vector<std::string> kSyllables = {"ka", "lo", "mi", "ren", "tas", "vor", "qui", "zel", "bri", "om",
                                             "dun", "fe", "gar", "hul", "ix", "jo", "nap", "pre", "sti", "wy"};

std::string made_up_name(std::mt19937& rng) {
  std::string name;
  const int parts = 2 + static_cast<int>(rng() % 3);
  for (int i = 0; i < parts; ++i) name += kSyllables[rng() % kSyllables.size()];
  name[0] = static_cast<char>(name[0] - 'a' + 'A');
  return name;
}

template <typename List>
const std::string& pick(const List& list, std::mt19937& rng) {
  return list[rng() % list.size()];
}

std::string capitalised(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 'a' + 'A');
  return text;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Runs `pass` (one pass over all captions) config.repeats times; median captions/s.
template <typename Pass>
double captions_per_second(const TokenizerBenchConfig& config, std::size_t count, Pass pass) {
  std::vector<double> rates;
  for (int r = 0; r < config.repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    pass();
    rates.push_back(static_cast<double>(count) / seconds_since(start));
  }
  return median(rates);
}

nlohmann::json figure(double rate) { return {{"captions_per_s", std::round(rate)}}; }

}  // namespace

std::vector<std::string> benchmark_captions(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> captions;
  captions.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::string caption;
    switch (rng() % 4) {
      case 0:
        caption = "a photo of " + pick(kSubjects, rng) + " " + pick(kVerbs, rng) + " " + pick(kPlaces, rng);
        break;
      case 1:
        caption = capitalised(pick(kAdjectives, rng)) + " picture: " + pick(kSubjects, rng) + " " + pick(kVerbs, rng) +
                  " " + pick(kPlaces, rng);
        break;
      case 2:
        caption = made_up_name(rng) + " and " + pick(kSubjects, rng) + " " + pick(kVerbs, rng) + " " +
                  pick(kPlaces, rng) + ", " + std::to_string(1950 + rng() % 75);
        break;
      default:
        caption = "the " + pick(kAdjectives, rng) + " " + pick(kAdjectives, rng) + " view of " + pick(kPlaces, rng) +
                  " with " + std::to_string(rng() % 100) + " " + pick(kSubjects, rng);
        break;
    }
    if (rng() % 2) caption += " " + pick(kExtras, rng);
    if (rng() % 3 == 0) caption = capitalised(caption) + ".";
    captions.push_back(std::move(caption));
  }
  return captions;
}

nlohmann::json run_tokenizer_benchmark(const TokenizerBenchConfig& config) {
  const auto load_start = std::chrono::steady_clock::now();
  const text::Tokenizer tokenizer = text::Tokenizer::from_file(config.vocab_path);
  const double load_seconds = seconds_since(load_start);
  const std::vector<std::string> captions = benchmark_captions(config.captions, config.seed);
  if (!config.captions_out.empty()) {
    std::string lines;
    for (const auto& caption : captions) lines += caption + "\n";
    write_file_atomic(config.captions_out, lines);
  }

  std::size_t bpe_ids = 0;
  for (const auto& caption : captions) bpe_ids += tokenizer.encode_bpe(caption).size();
  tokenizer.clear_cache();

  const auto batch = [&] { tokenizer.encode_batch(captions); };
  const double cold = captions_per_second(config, captions.size(), [&] {
    tokenizer.clear_cache();
    batch();
  });
  batch();  // warm-up
  const double warm = captions_per_second(config, captions.size(), batch);
  const double single = captions_per_second(config, captions.size(), [&] {
    for (const auto& caption : captions) tokenizer.encode(caption);
  });

  return {{"vocab", config.vocab_path},
          {"vocab_size", tokenizer.vocabulary().size()},
          {"load_seconds", load_seconds},
          {"captions", captions.size()},
          {"seed", config.seed},
          {"threads", 1},
          {"repeats", config.repeats},
          {"bpe_ids_per_caption", static_cast<double>(bpe_ids) / static_cast<double>(std::max<std::size_t>(captions.size(), 1))},
          {"batch_cold_cache", figure(cold)},
          {"batch_warm_cache", figure(warm)},
          {"one_caption_per_call_warm_cache", figure(single)}};
}

}  // namespace clipforge::bench
