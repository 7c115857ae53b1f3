#include "text/vocab_io.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "core/error.h"
#include "core/files.h"
#include "text/byte_symbols.h"
#include "text/gzip.h"
#include "text/utf8.h"

namespace clipforge::text {
namespace {

constexpr std::string_view kVocabSizeKey = "vocab_size=";

std::string quoted_excerpt(std::string_view line) {
  constexpr std::size_t kMax = 40;
  std::string shown = to_valid_utf8(line.substr(0, kMax));
  return "'" + shown + (line.size() > kMax ? "...'" : "'");
}

// The declared vocabulary size in a header line, if any.
std::optional<std::size_t> declared_vocab_size(std::string_view header, const std::string& path) {
  const std::size_t key = header.find(kVocabSizeKey);
  if (key == std::string_view::npos) return std::nullopt;
  std::size_t value = 0;
  std::size_t pos = key + kVocabSizeKey.size();
  const std::size_t digits = pos;
  while (pos < header.size() && header[pos] >= '0' && header[pos] <= '9' && value < (1u << 30)) {
    value = value * 10 + static_cast<std::size_t>(header[pos++] - '0');
  }
  if (pos == digits || value < kNonMergeIds) {
    throw input_error(path + ":1: vocab_size in the header must be a number of at least " +
                      std::to_string(kNonMergeIds));
  }
  return value;
}

struct ParsedMerges {
  std::vector<Merge> merges;
  bool declared = false;  // the header gave vocab_size
  bool capped = false;    // parsing stopped at the limit, before the end of the text
};

// Reads merge lines after the header. A header that declares vocab_size=N fixes the count
// (fewer lines means a truncated file); otherwise `default_limit` caps it, if given.
ParsedMerges parse_merges(std::string_view text, const std::string& path, std::optional<std::size_t> default_limit) {
  ParsedMerges parsed;
  std::vector<Merge>& merges = parsed.merges;
  std::optional<std::size_t> limit = default_limit;
  bool& declared = parsed.declared;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1 && line.find("#version") != std::string_view::npos) {
      if (auto size = declared_vocab_size(line, path)) {
        limit = *size - kNonMergeIds;
        declared = true;
      }
      continue;
    }
    if (limit && merges.size() == *limit) {
      parsed.capped = true;
      break;
    }
    if (line.empty() && pos >= text.size()) break;  // the newline ending the last line
    const std::size_t space = line.find(' ');
    if (space == 0 || space == std::string_view::npos || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos) {
      throw input_error(path + ":" + std::to_string(line_number) +
                        ": expected two symbols separated by one space, got " + quoted_excerpt(line));
    }
    if (to_valid_utf8(line) != line) {
      throw input_error(path + ":" + std::to_string(line_number) + ": merge line is not valid UTF-8");
    }
    merges.push_back({std::string(line.substr(0, space)), std::string(line.substr(space + 1)), line_number});
  }
  if (declared && merges.size() < *limit) {
    throw input_error(path + ":" + std::to_string(line_number) + ": file ends after " +
                      std::to_string(merges.size()) + " merges but its header declares " + std::to_string(*limit) +
                      " (truncated file?)");
  }
  return parsed;
}

std::string read_text(const std::string& path) {
  if (!file_exists(path)) throw input_error(path + ": vocabulary file not found");
  std::string bytes = read_file(path);
  return has_gzip_magic(bytes) ? gunzip(bytes, path) : bytes;
}

}  // namespace

Vocabulary load_merges_file(const std::string& path) {
  const std::string text = read_text(path);
  if (text.empty()) throw input_error(path + ":1: empty merges file");
  const ParsedMerges parsed = parse_merges(text, path, kReleasedVocabSize - kNonMergeIds);
  // OpenAI's and OpenCLIP's SimpleTokenizer split the text at '\n' and keep the empty string after
  // a final newline as one more merge when the file holds fewer than the cap: a token "" that
  // takes an id before the specials. A vocab_size header (clipforge's files) states the ids instead.
  const bool empty_entry = !parsed.declared && !parsed.capped && text.back() == '\n';
  return Vocabulary::from_merges(parsed.merges, path, empty_entry);
}

Vocabulary load_hf_vocabulary(const std::string& vocab_json_path, const std::string& merges_path) {
  const std::string json_text = read_text(vocab_json_path);
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw input_error(vocab_json_path + ": " + e.what());
  }
  if (!json.is_object()) throw input_error(vocab_json_path + ": expected a JSON object of token -> id");
  std::vector<std::string> tokens(json.size());
  std::vector<bool> seen(json.size(), false);
  for (const auto& [token, value] : json.items()) {
    const std::int64_t id = value.is_number_integer() ? value.get<std::int64_t>() : -1;
    if (id < 0 || static_cast<std::size_t>(id) >= tokens.size() || seen[id]) {
      throw input_error(vocab_json_path + ": id of '" + token + "' must be a distinct integer in [0, " +
                        std::to_string(tokens.size()) + ")");
    }
    seen[id] = true;
    tokens[id] = token;
  }
  const ParsedMerges parsed = parse_merges(read_text(merges_path), merges_path, std::nullopt);
  return Vocabulary::from_tokens(std::move(tokens), parsed.merges, vocab_json_path, merges_path);
}

Vocabulary load_vocabulary(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) {
    return load_hf_vocabulary((fs::path(path) / "vocab.json").string(), (fs::path(path) / "merges.txt").string());
  }
  if (fs::path(path).extension() == ".json") {
    return load_hf_vocabulary(path, (fs::path(path).parent_path() / "merges.txt").string());
  }
  return load_merges_file(path);
}

void write_hf_tokenizer(const std::string& dir, const Vocabulary& vocab, int context_length) {
  std::filesystem::create_directories(dir);
  nlohmann::json ids = nlohmann::json::object();
  for (std::size_t id = 0; id < vocab.size(); ++id) ids[vocab.token(static_cast<std::int32_t>(id))] = id;
  write_file_atomic(dir + "/vocab.json", ids.dump() + "\n");
  std::string merges = "#version: 0.2\n";
  for (const MergeRule& rule : vocab.rules()) merges += vocab.token(rule.left) + " " + vocab.token(rule.right) + "\n";
  write_file_atomic(dir + "/merges.txt", merges);
  const std::string start(kStartOfText), end(kEndOfText);
  const nlohmann::json specials = {{"bos_token", start}, {"eos_token", end}, {"unk_token", end}, {"pad_token", end}};
  nlohmann::json config = specials;
  config["tokenizer_class"] = "CLIPTokenizer";
  config["model_max_length"] = context_length;
  config["do_lower_case"] = true;
  config["errors"] = "replace";
  write_file_atomic(dir + "/tokenizer_config.json", config.dump(2) + "\n");
  write_file_atomic(dir + "/special_tokens_map.json", specials.dump(2) + "\n");
}

void write_merges_file(const std::string& path, const std::vector<Merge>& merges) {
  std::string text = "#version: 0.2 " + std::string(kVocabSizeKey) +
                     std::to_string(merges.size() + kNonMergeIds) + " (clipforge)";
  // No newline after the last merge: the reference readers would take the empty string after it
  // for one more token (see load_merges_file) and number the specials one higher.
  for (const Merge& merge : merges) text += "\n" + merge.left + " " + merge.right;
  write_file_atomic(path, gzip(text));
}

}  // namespace clipforge::text
