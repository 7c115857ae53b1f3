// Vocabulary files: OpenAI's layout, Hugging Face's pair, and broken files.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/files.h"
#include "support/reference.h"
#include "text/gzip.h"
#include "text/text_fixtures.h"
#include "text/tokenizer.h"
#include "text/vocab_io.h"

using namespace clipforge::text;
using clipforge::testing::input_error_message;
using Catch::Matchers::Contains;

namespace {
std::string write_gz(const std::string& name, const std::string& text) {
  const std::string path = clipforge::testing::temp_dir() + "/" + name;
  clipforge::write_file_atomic(path, gzip(text));
  return path;
}
}  // namespace

TEST_CASE("OpenAI's merges file gives 49,408 ids with bytes first and the specials last", "[text][vocab]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  const Vocabulary vocab = load_vocabulary(vocab_path);
  CHECK(vocab.size() == 49408);
  CHECK(vocab.token(0) == "!");
  CHECK(vocab.token(255) == "\xC5\x83");  // U+0143 stands for byte 0xAD
  CHECK(vocab.token(256) == "!</w>");
  CHECK(vocab.token(512) == "in");  // the first merge ("i n"), joined
  CHECK(vocab.start_of_text() == 49406);
  CHECK(vocab.end_of_text() == 49407);
  CHECK(vocab.rules().size() == 48894);
}

TEST_CASE("Hugging Face's vocab.json + merges.txt give the same ids as OpenAI's file", "[text][vocab]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab_path, "data/bpe_simple_vocab_16e6.txt.gz");
  CLIPFORGE_SHARED_PATH_OR_SKIP(cases_path, "reference/tokenizer/tokenizer_cases.json");
  const auto& openai = clipforge::testing::openai_tokenizer(vocab_path);
  const Vocabulary& vocab = openai.vocabulary();
  nlohmann::json tokens = nlohmann::json::object();
  for (std::size_t id = 0; id < vocab.size(); ++id) tokens[vocab.token(static_cast<std::int32_t>(id))] = id;
  std::string merges = "#version: 0.2\n";
  for (const MergeRule& rule : vocab.rules()) merges += vocab.token(rule.left) + " " + vocab.token(rule.right) + "\n";
  const std::string dir = clipforge::testing::temp_dir() + "/hf_vocab";
  std::filesystem::create_directories(dir);
  clipforge::write_file_atomic(dir + "/vocab.json", tokens.dump());
  clipforge::write_file_atomic(dir + "/merges.txt", merges);

  const Tokenizer hf = Tokenizer::from_file(dir);
  CHECK(hf.vocabulary().size() == 49408);
  for (const auto& c : clipforge::testing::read_tokenizer_cases(cases_path)) {
    INFO("text: " << c.text);
    CHECK(hf.encode(c.text, 77) == c.ids);
  }
  CHECK(Tokenizer::from_file(dir + "/vocab.json").encode_bpe("a photo of a cat") == openai.encode_bpe("a photo of a cat"));
}

TEST_CASE("a merges file's ids are those OpenAI's SimpleTokenizer gives, a final newline included", "[text][vocab]") {
  // The reference splits the text at '\n': after a final newline the empty string is one more merge
  // (below the cap), a token "" that shifts the specials up by one.
  const Vocabulary with_newline = load_vocabulary(write_gz("final_newline.txt.gz", "#version: 0.2\ni n\nt h\n"));
  CHECK(with_newline.size() == 512 + 3 + 2);
  CHECK(with_newline.token(514) == "");
  CHECK(with_newline.start_of_text() == 515);
  CHECK(with_newline.end_of_text() == 516);
  CHECK(with_newline.rules().size() == 2);

  const Vocabulary without = load_vocabulary(write_gz("no_final_newline.txt.gz", "#version: 0.2\ni n\nt h"));
  CHECK(without.size() == 512 + 2 + 2);
  CHECK(without.start_of_text() == 514);

  // clipforge's header states the ids: files it wrote before it stopped ending them with a newline
  // keep the ids their models were trained with.
  const Vocabulary declared = load_vocabulary(write_gz("declared_newline.txt.gz", "#version: 0.2 vocab_size=516\ni n\nt h\n"));
  CHECK(declared.size() == 516);
  CHECK(declared.end_of_text() == 515);
}

TEST_CASE("a missing vocabulary file is an input error naming it", "[text][vocab][bad-input]") {
  const std::string path = clipforge::testing::temp_dir() + "/no_such_vocab.txt.gz";
  CHECK_THAT(input_error_message([&] { load_vocabulary(path); }), Contains(path) && Contains("not found"));
}

TEST_CASE("corrupt or cut gzip data is an input error naming the file", "[text][vocab][bad-input]") {
  std::string compressed = gzip("#version: 0.2\ni n\nt h\n");
  std::string corrupt = compressed;
  for (std::size_t i = 10; i < corrupt.size(); ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5A);
  const std::string corrupt_path = clipforge::testing::temp_dir() + "/corrupt.txt.gz";
  clipforge::write_file_atomic(corrupt_path, corrupt);
  CHECK_THAT(input_error_message([&] { load_vocabulary(corrupt_path); }), Contains(corrupt_path + ": corrupt gzip"));

  const std::string cut_path = clipforge::testing::temp_dir() + "/cut.txt.gz";
  clipforge::write_file_atomic(cut_path, compressed.substr(0, compressed.size() / 2));
  CHECK_THAT(input_error_message([&] { load_vocabulary(cut_path); }), Contains(cut_path + ": gzip data is truncated"));
}

TEST_CASE("a garbled or truncated merges file names the file and line", "[text][vocab][bad-input]") {
  const std::string garbled = write_gz("garbled.txt.gz", "#version: 0.2\ni n\nt h\nthe\n");
  CHECK_THAT(input_error_message([&] { load_vocabulary(garbled); }),
             Contains(garbled + ":4: expected two symbols separated by one space, got 'the'"));

  const std::string unknown = write_gz("unknown.txt.gz", "#version: 0.2\ni n\nth e\n");
  CHECK_THAT(input_error_message([&] { load_vocabulary(unknown); }), Contains(unknown + ":3: merge symbol 'th'"));

  const std::string bad_utf8 = write_gz("bad_utf8.txt.gz", "#version: 0.2\ni n\n\xFF n\n");
  CHECK_THAT(input_error_message([&] { load_vocabulary(bad_utf8); }), Contains(bad_utf8 + ":3: merge line is not valid UTF-8"));

  const std::string cut = write_gz("declared.txt.gz", "#version: 0.2 vocab_size=520\ni n\nt h\n");
  CHECK_THAT(input_error_message([&] { load_vocabulary(cut); }), Contains(cut + ":") && Contains("truncated file"));

  const std::string empty = write_gz("empty.txt.gz", "");
  CHECK_THAT(input_error_message([&] { load_vocabulary(empty); }), Contains(empty + ":1: empty merges file"));
}

TEST_CASE("a broken vocab.json is an input error naming it", "[text][vocab][bad-input]") {
  const std::string dir = clipforge::testing::temp_dir() + "/broken_hf";
  std::filesystem::create_directories(dir);
  clipforge::write_file_atomic(dir + "/vocab.json", "{\"a\": 0,");
  clipforge::write_file_atomic(dir + "/merges.txt", "#version: 0.2\n");
  CHECK_THAT(input_error_message([&] { load_vocabulary(dir); }), Contains(dir + "/vocab.json: "));
  clipforge::write_file_atomic(dir + "/vocab.json", "{\"a\": 0, \"b\": 0}");
  CHECK_THAT(input_error_message([&] { load_vocabulary(dir); }), Contains("must be a distinct integer"));
}
