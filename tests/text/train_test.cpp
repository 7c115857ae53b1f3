// Training a vocabulary from captions and using it.
#include <catch2/catch.hpp>

#include <random>

#include "core/error.h"
#include "core/files.h"
#include "support/reference.h"
#include "text/clean.h"
#include "text/gzip.h"
#include "text/tokenizer.h"
#include "text/train.h"
#include "text/vocab_io.h"

using namespace clipforge::text;

namespace {
std::vector<std::string> generated_captions(std::size_t count) {
  const std::vector<std::string> subjects = {"a dog", "two cats", "the old man", "a red car", "children", "a bird"};
  const std::vector<std::string> verbs = {"running on", "sitting near", "looking at", "playing in", "parked by"};
  const std::vector<std::string> places = {"the beach", "a wooden table", "the snowy street", "Zürich station",
                                           "the garden"};
  std::mt19937 rng(7);
  std::vector<std::string> captions;
  for (std::size_t i = 0; i < count; ++i) {
    captions.push_back(subjects[rng() % subjects.size()] + " " + verbs[rng() % verbs.size()] + " " +
                       places[rng() % places.size()] + (rng() % 2 ? "." : ", " + std::to_string(rng() % 100)));
  }
  return captions;
}
}  // namespace

TEST_CASE("a trained vocabulary loads back and encodes its captions in fewer tokens than bytes", "[text][train]") {
  const auto captions = generated_captions(2000);
  const auto merges = train_bpe(captions, 700);
  REQUIRE(merges.size() > 50);
  REQUIRE(merges.size() <= 700 - 514);
  const std::string path = clipforge::testing::temp_dir() + "/trained.txt.gz";
  write_merges_file(path, merges);

  const Tokenizer tokenizer = Tokenizer::from_file(path);
  const auto size = static_cast<std::int32_t>(tokenizer.vocabulary().size());
  CHECK(tokenizer.vocabulary().size() == merges.size() + 514);
  // Pooling at end-of-text takes the argmax of a row: the specials must hold the highest ids.
  CHECK(tokenizer.start_of_text() == size - 2);
  CHECK(tokenizer.end_of_text() == size - 1);
  // Read as the reference reads it, ignoring the header: the same ids (no empty entry).
  std::string text = gunzip(clipforge::read_file(path), path);
  text = "#version: 0.2" + text.substr(text.find('\n'));
  const std::string headerless = clipforge::testing::temp_dir() + "/trained_headerless.txt.gz";
  clipforge::write_file_atomic(headerless, gzip(text));
  CHECK(load_vocabulary(headerless).size() == tokenizer.vocabulary().size());

  std::size_t bytes = 0;
  std::size_t tokens = 0;
  for (const auto& caption : captions) {
    const auto ids = tokenizer.encode_bpe(caption);
    bytes += caption.size();
    tokens += ids.size();
    REQUIRE(tokenizer.decode(ids) == tokenizer.decode(tokenizer.encode(caption, 77)));
  }
  CHECK(tokens * 3 < bytes);
  CHECK(tokenizer.decode(tokenizer.encode_bpe("a dog running on the beach.")) == "a dog running on the beach .");
}

TEST_CASE("training is deterministic and merges the most frequent pair first", "[text][train]") {
  const std::vector<std::string> captions = {"aaa bb", "aaa bb", "aaa cc"};
  const auto merges = train_bpe(captions, 520);
  const auto again = train_bpe(captions, 520);
  REQUIRE(merges.size() == again.size());
  for (std::size_t i = 0; i < merges.size(); ++i) {
    CHECK(merges[i].left == again[i].left);
    CHECK(merges[i].right == again[i].right);
  }
  // "a a" occurs 3 times (once per "aaa") and "a a</w>" 3 times; the lower ids win the tie.
  REQUIRE(!merges.empty());
  CHECK(merges[0].left + " " + merges[0].right == "a a");
}

TEST_CASE("a vocabulary size below bytes plus specials is a usage error", "[text][train]") {
  CHECK_THROWS_AS(train_bpe({"a b"}, 513), clipforge::Error);
}
