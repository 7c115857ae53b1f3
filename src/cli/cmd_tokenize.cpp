// `clipforge tokenize`: one text per stdin line -> one JSON array of ids per line.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "text/tokenizer.h"

namespace clipforge::cli {
namespace {

struct TokenizeOptions {
  std::string vocab;
  int context_length = text::kDefaultContextLength;
  bool raw = false;
  bool jsonl = false;
};

std::string text_of_line(const std::string& line, bool jsonl, std::size_t line_number) {
  if (!jsonl) return line;
  try {
    const auto value = nlohmann::json::parse(line);
    if (value.is_string()) return value.get<std::string>();
  } catch (const nlohmann::json::exception&) {
    // reported below, with the line number
  }
  throw input_error("stdin:" + std::to_string(line_number) + ": --jsonl expects one JSON string per line");
}

void run_tokenize(const TokenizeOptions& options) {
  const text::Tokenizer tokenizer = text::Tokenizer::from_file(options.vocab);
  std::ios::sync_with_stdio(false);
  std::string line;
  std::string out;
  for (std::size_t line_number = 1; std::getline(std::cin, line); ++line_number) {
    const std::string text = text_of_line(line, options.jsonl, line_number);
    const auto ids = options.raw ? tokenizer.encode_bpe(text) : tokenizer.encode(text, options.context_length);
    out = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) out += ',';
      out += std::to_string(ids[i]);
    }
    out += "]\n";
    std::cout << out;
  }
  std::cout.flush();
}

}  // namespace

void register_tokenize(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "tokenize", "print CLIP token ids of each stdin line as a JSON array (one line out per line in)");
  cmd->add_option("--vocab", options->vocab,
                  "vocabulary: OpenAI merges file (.txt.gz), Hugging Face vocab.json (merges.txt beside it) "
                  "or a folder with both")
      ->required()
      ->envname("CLIPFORGE_VOCAB");
  cmd->add_option("--context-length", options->context_length, "ids per row: start, text, end, zero padding")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--raw", options->raw, "print the BPE ids only: no start/end ids, no padding or truncation");
  cmd->add_flag("--jsonl", options->jsonl, "each input line is a JSON string (so texts may hold newlines)");
  cmd->callback([options] { run_tokenize(*options); });
}

}  // namespace clipforge::cli
