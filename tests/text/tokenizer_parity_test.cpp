// Parity with OpenAI's tokenizer on the reference cases, alone and from several threads.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "support/reference.h"
#include "text/text_fixtures.h"

using clipforge::testing::first_difference;
using clipforge::testing::openai_tokenizer;
using clipforge::testing::read_tokenizer_cases;

TEST_CASE("every reference case gives OpenAI's ids, as 77-long rows and as raw BPE", "[text][parity]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  CLIPFORGE_SHARED_PATH_OR_SKIP(cases_path, "reference/tokenizer/tokenizer_cases.json");
  const auto& tokenizer = openai_tokenizer(vocab_path);
  const auto cases = read_tokenizer_cases(cases_path);
  REQUIRE(cases.size() == 150);
  for (const auto& c : cases) {
    INFO("text: " << c.text);
    const std::string bpe_diff = first_difference(tokenizer.encode_bpe(c.text), c.bpe);
    CHECK(bpe_diff == "");
    const std::string row_diff = first_difference(tokenizer.encode(c.text, 77), c.ids);
    CHECK(row_diff == "");
  }
}

TEST_CASE("one tokenizer shared by four threads gives the reference ids in every thread", "[text][parity][threads]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  CLIPFORGE_SHARED_PATH_OR_SKIP(cases_path, "reference/tokenizer/tokenizer_cases.json");
  // A fresh tokenizer, so the threads race on filling the word cache rather than only reading it.
  const auto tokenizer = clipforge::text::Tokenizer::from_file(vocab_path);
  const auto cases = read_tokenizer_cases(cases_path);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < cases.size(); ++i) {
          const auto& c = cases[(i + static_cast<std::size_t>(t) * 37) % cases.size()];
          if (tokenizer.encode(c.text, 77) != c.ids || tokenizer.encode_bpe(c.text) != c.bpe) ++mismatches;
        }
        if (round % 5 == t) tokenizer.clear_cache();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(mismatches.load() == 0);
}
