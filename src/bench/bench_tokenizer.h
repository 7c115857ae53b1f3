// `clipforge bench tokenizer`: captions/s of the CLIP tokenizer on one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace clipforge::bench {

struct TokenizerBenchConfig {
  std::string vocab_path;
  std::size_t captions = 10000;
  std::uint32_t seed = 20240601;
  int repeats = 5;  // each figure is the median of this many runs
  std::string captions_out;  // when set, the captions timed, one per line, for a peer to time the same
};

// Varied English captions from fixed word lists: templates, adjectives, numbers, punctuation,
// some capitals, accents and HTML entities, and made-up names so that a cold cache misses.
// The same seed gives the same captions.
std::vector<std::string> benchmark_captions(std::size_t count, std::uint32_t seed);

// Figures in captions/s: batch calls with a cold and a warm word cache, and one caption per call
// (warm). A comparison with OpenCLIP's tokenizer on the same captions is scripts/peer_bench.sh's.
nlohmann::json run_tokenizer_benchmark(const TokenizerBenchConfig& config);

}  // namespace clipforge::bench
