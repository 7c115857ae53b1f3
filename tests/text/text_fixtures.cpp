#include "text/text_fixtures.h"

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"

namespace clipforge::testing {

const text::Tokenizer& openai_tokenizer(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<text::Tokenizer>> loaded;
  std::lock_guard lock(mutex);
  auto& slot = loaded[path];
  if (!slot) slot = std::make_unique<text::Tokenizer>(text::Tokenizer::from_file(path));
  return *slot;
}

std::vector<TokenizerCase> read_tokenizer_cases(const std::string& path) {
  const auto json = nlohmann::json::parse(read_file(path));
  std::vector<TokenizerCase> cases;
  for (const auto& item : json.at("cases")) {
    cases.push_back({item.at("text").get<std::string>(), item.at("ids").get<std::vector<std::int32_t>>(),
                     item.at("bpe").get<std::vector<std::int32_t>>()});
  }
  return cases;
}

std::string first_difference(const std::vector<std::int32_t>& actual, const std::vector<std::int32_t>& expected) {
  const std::size_t common = std::min(actual.size(), expected.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (actual[i] != expected[i]) {
      return "first difference at position " + std::to_string(i) + ": got " + std::to_string(actual[i]) +
             ", expected " + std::to_string(expected[i]);
    }
  }
  if (actual.size() != expected.size()) {
    return "lengths differ: got " + std::to_string(actual.size()) + " ids, expected " + std::to_string(expected.size());
  }
  return "";
}

std::string input_error_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kInput) return std::string("error of another kind: ") + e.what();
    return e.what();
  }
  return "nothing thrown";
}

}  // namespace clipforge::testing
