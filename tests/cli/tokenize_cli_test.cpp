// `clipforge tokenize` and `clipforge tokenizer train` as a user runs them.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <fstream>
#include <sstream>

#include "support/reference.h"
#include "support/run_cli.h"
#include "text/tokenizer.h"

using clipforge::testing::run_cli;

namespace {
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::int32_t> ids_of(const std::string& line) { return nlohmann::json::parse(line).get<std::vector<std::int32_t>>(); }
}  // namespace

TEST_CASE("tokenize prints the library's ids, one JSON array per input line", "[cli][tokenize]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  const auto tokenizer = clipforge::text::Tokenizer::from_file(vocab_path);
  const std::vector<std::string> texts = {"A photo of a cat.", "", "caf\xC3\xA9 &amp; \xE6\x97\xA5\xE6\x9C\xAC", "2 dogs"};
  std::string input;
  for (const auto& text : texts) input += text + "\n";

  const auto rows = run_cli("tokenize --vocab " + vocab_path, input);
  REQUIRE(rows.exit_code == 0);
  const auto row_lines = lines_of(rows.out);
  REQUIRE(row_lines.size() == texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) CHECK(ids_of(row_lines[i]) == tokenizer.encode(texts[i], 77));

  const auto raw = run_cli("tokenize --raw --vocab " + vocab_path, input);
  REQUIRE(raw.exit_code == 0);
  const auto raw_lines = lines_of(raw.out);
  REQUIRE(raw_lines.size() == texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) CHECK(ids_of(raw_lines[i]) == tokenizer.encode_bpe(texts[i]));

  const auto short_rows = run_cli("tokenize --context-length 4 --vocab " + vocab_path, input);
  REQUIRE(short_rows.exit_code == 0);
  CHECK(ids_of(lines_of(short_rows.out)[0]) == tokenizer.encode(texts[0], 4));
}

TEST_CASE("tokenize --jsonl reads JSON strings and names a malformed line", "[cli][tokenize]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  const auto tokenizer = clipforge::text::Tokenizer::from_file(vocab_path);
  const auto ok = run_cli("tokenize --jsonl --raw --vocab " + vocab_path, "\"two\\nlines\"\n\"x\"\n");
  REQUIRE(ok.exit_code == 0);
  const auto lines = lines_of(ok.out);
  REQUIRE(lines.size() == 2);
  CHECK(ids_of(lines[0]) == tokenizer.encode_bpe("two\nlines"));

  const auto bad = run_cli("tokenize --jsonl --vocab " + vocab_path, "\"fine\"\nnot json\n");
  CHECK(bad.exit_code == 3);
  CHECK(lines_of(bad.err).size() == 1);
  CHECK(bad.err.find("stdin:2:") != std::string::npos);
}

TEST_CASE("tokenize with a bad vocabulary path fails with one line on stderr", "[cli][tokenize]") {
  const auto result = run_cli("tokenize --vocab /nonexistent/vocab.txt.gz", "a cat\n");
  CHECK(result.exit_code == 3);
  CHECK(result.out.empty());
  CHECK(lines_of(result.err).size() == 1);
  CHECK(result.err.find("/nonexistent/vocab.txt.gz") != std::string::npos);
}

TEST_CASE("tokenizer train writes a vocabulary that tokenize accepts", "[cli][tokenize]") {
  const std::string dir = clipforge::testing::temp_dir();
  std::string captions;
  for (int i = 0; i < 300; ++i) captions += "a photo of dog number " + std::to_string(i % 17) + " in the park\n";
  {
    std::ofstream(dir + "/captions.txt") << captions;
  }
  const auto train = run_cli("tokenizer train --input " + dir + "/captions.txt --vocab-size 600 --out " + dir +
                             "/cli_vocab.txt.gz");
  REQUIRE(train.exit_code == 0);
  const auto tokenizer = clipforge::text::Tokenizer::from_file(dir + "/cli_vocab.txt.gz");
  const auto rows = run_cli("tokenize --raw --vocab " + dir + "/cli_vocab.txt.gz", "a photo of dog number 3\n");
  REQUIRE(rows.exit_code == 0);
  CHECK(ids_of(lines_of(rows.out)[0]) == tokenizer.encode_bpe("a photo of dog number 3"));
  CHECK(ids_of(lines_of(rows.out)[0]).size() < 8);
}
