// Encoding rows, decoding, and inputs that must never break the tokenizer.
#include <catch2/catch.hpp>

#include <chrono>

#include "core/error.h"
#include "support/reference.h"
#include "text/clean.h"
#include "text/text_fixtures.h"

using clipforge::testing::openai_tokenizer;

TEST_CASE("decode(encode(x)) gives the cleaned text back", "[text][tokenizer]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  const auto& tokenizer = openai_tokenizer(vocab_path);
  const std::vector<std::string> texts = {
      "A photo of a cat",
      "  Two   DOGS\tplaying &amp; running\n",
      "\xC3\x9C" "ber caf\xC3\xA9 \xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3 \xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0",
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xF0\x9F\x98\x80",
  };
  for (const auto& text : texts) {
    INFO("text: " << text);
    CHECK(tokenizer.decode(tokenizer.encode(text, 77)) == clipforge::text::clean_text(text));
    CHECK(tokenizer.decode(tokenizer.encode_bpe(text)) == clipforge::text::clean_text(text));
  }
  // Pre-tokens come back space-separated: the ids do not record whether a space was there.
  CHECK(tokenizer.decode(tokenizer.encode_bpe("a cat.")) == "a cat .");
}

TEST_CASE("a row is start, ids, end, zero padding, truncation keeps end-of-text last", "[text][tokenizer]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  const auto& tokenizer = openai_tokenizer(vocab_path);
  CHECK(tokenizer.encode("a photo of a cat", 10) ==
        std::vector<std::int32_t>{49406, 320, 1125, 539, 320, 2368, 49407, 0, 0, 0});
  CHECK(tokenizer.encode("a photo of a cat", 5) == std::vector<std::int32_t>{49406, 320, 1125, 539, 49407});
  CHECK(tokenizer.encode("a photo of a cat", 1) == std::vector<std::int32_t>{49407});
  CHECK_THROWS_AS(tokenizer.encode("x", 0), clipforge::Error);
  CHECK(tokenizer.encode_bpe("<|ENDOFTEXT|> cat") == std::vector<std::int32_t>{49407, 2368});
  CHECK(tokenizer.start_of_text() == 49406);
  CHECK(tokenizer.end_of_text() == 49407);
}

TEST_CASE("a batch is the rows of its texts, back to back", "[text][tokenizer]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  const auto& tokenizer = openai_tokenizer(vocab_path);
  const std::vector<std::string> texts = {"a photo of a cat", "", "two dogs"};
  const auto rows = tokenizer.encode_batch(texts, 8);
  REQUIRE(rows.size() == 24);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    CHECK(std::vector<std::int32_t>(rows.begin() + 8 * i, rows.begin() + 8 * (i + 1)) == tokenizer.encode(texts[i], 8));
  }
}

TEST_CASE("invalid UTF-8 is encoded as its U+FFFD replacement, never an error", "[text][tokenizer][bad-input]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  const auto& tokenizer = openai_tokenizer(vocab_path);
  const auto ids = tokenizer.encode_bpe("caf\xC3 \xFF\xFE dog \xE2\x82");
  CHECK(ids == tokenizer.encode_bpe("caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD dog \xEF\xBF\xBD"));
  CHECK(ids.size() > 3);
}

TEST_CASE("empty and whitespace-only lines give start and end only", "[text][tokenizer][bad-input]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  const auto& tokenizer = openai_tokenizer(vocab_path);
  std::vector<std::int32_t> expected(77, 0);
  expected[0] = 49406;
  expected[1] = 49407;
  CHECK(tokenizer.encode("", 77) == expected);
  CHECK(tokenizer.encode(" \t \n", 77) == expected);
  CHECK(tokenizer.encode_bpe("").empty());
}

TEST_CASE("a 1 MB line encodes quickly and to the same ids as its parts", "[text][tokenizer][bad-input]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  const auto& tokenizer = openai_tokenizer(vocab_path);
  const std::string sentence = "a dog runs on the beach at 5pm, chasing 2 red balls! ";
  std::string line;
  while (line.size() < (1u << 20)) line += sentence;
  const auto start = std::chrono::steady_clock::now();
  const auto ids = tokenizer.encode_bpe(line);
  const auto one = tokenizer.encode_bpe(sentence);
  REQUIRE(ids.size() == one.size() * (line.size() / sentence.size()));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] != one[i % one.size()]) FAIL("id " << i << " differs");
  }
  CHECK(tokenizer.encode(line, 77).back() == 49407);

  // One 1 MB "word": merging must not be quadratic in its length.
  std::string word;
  for (std::size_t i = 0; word.size() < (1u << 20); ++i) word += "abracadabra"[i % 11];
  const auto word_ids = tokenizer.encode_bpe(word);
  CHECK(word_ids.size() < word.size() / 2);
  CHECK(tokenizer.decode(word_ids) == word);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seconds < 20.0);  // quadratic merging would take hours
}

TEST_CASE("decoding an id outside the vocabulary is an error", "[text][tokenizer][bad-input]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  const auto& tokenizer = openai_tokenizer(vocab_path);
  CHECK_THROWS_AS(tokenizer.decode({320, 49408}), clipforge::Error);
  CHECK_THROWS_AS(tokenizer.decode({-1}), clipforge::Error);
}
