#include "data/shard_list.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace clipforge::data {
namespace {

// Bounds that only a typo (or a hostile string) reaches: LAION-5B is about 600k shards. They keep
// a pattern like "{0..999999999999}" from exhausting memory or, deeply nested, the stack.
constexpr std::size_t kMaxShards = 2'000'000;
constexpr std::size_t kMaxExpandedBytes = 256ull << 20;
constexpr int kMaxBraceDepth = 32;
constexpr std::size_t kMaxBraceGroups = 256;

// Index of the '}' closing the '{' at `open`, or npos.
std::size_t matching_brace(const std::string& s, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < s.size(); ++i) {
    if (s[i] == '{' && ++depth > kMaxBraceDepth)
      throw usage_error("shard list: braces nested more than " + std::to_string(kMaxBraceDepth) + " deep");
    if (s[i] == '}' && --depth == 0) return i;
  }
  return std::string::npos;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "007..010" -> {"007", "008", "009", "010"}; false when `body` is not a numeric range.
bool expand_range(const std::string& body, std::vector<std::string>& out) {
  const std::size_t dots = body.find("..");
  if (dots == std::string::npos) return false;
  const std::string lo = body.substr(0, dots), hi = body.substr(dots + 2);
  if (!all_digits(lo) || !all_digits(hi) || lo.size() > 18 || hi.size() > 18) return false;
  const bool padded = (lo.size() > 1 && lo[0] == '0') || (hi.size() > 1 && hi[0] == '0');
  const std::size_t width = padded ? std::max(lo.size(), hi.size()) : 0;
  const long long a = std::stoll(lo), b = std::stoll(hi);
  const long long step = a <= b ? 1 : -1;
  for (long long v = a;; v += step) {
    std::string text = std::to_string(v);
    if (text.size() < width) text.insert(0, width - text.size(), '0');
    out.push_back(text);
    if (v == b) break;
  }
  return true;
}

// Top-level comma split of a brace body ("a,{b,c},d" -> "a", "{b,c}", "d").
std::vector<std::string> split_alternatives(const std::string& body) {
  std::vector<std::string> parts(1);
  int depth = 0;
  for (char c : body) {
    if (c == ',' && depth == 0) {
      parts.emplace_back();
      continue;
    }
    if (c == '{') ++depth;
    if (c == '}') --depth;
    parts.back() += c;
  }
  return parts;
}

std::vector<std::string> split_sources(const std::string& urls) {
  std::vector<std::string> sources;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = urls.find("::", start);
    sources.push_back(urls.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 2;
  }
  return sources;
}

// How many names, of how many bytes in all, a pattern expands to. Computed without expanding and
// saturating at kCap, so a pattern is judged before any of its names exist.
struct Expansion {
  std::size_t names = 0, bytes = 0;
};
constexpr std::size_t kCap = std::size_t(1) << 62;
std::size_t capped_add(std::size_t a, std::size_t b) { return std::min(kCap, a + b); }
std::size_t capped_mul(std::size_t a, std::size_t b) { return a != 0 && b > kCap / a ? kCap : a * b; }

Expansion measure(const std::string& pattern) {
  const std::size_t open = pattern.find('{');
  if (open == std::string::npos) return {1, pattern.size()};
  const std::size_t close = matching_brace(pattern, open);
  if (close == std::string::npos) return {1, pattern.size()};  // expansion reports the unbalanced brace
  const std::string body = pattern.substr(open + 1, close - open - 1);
  Expansion alternatives;
  const std::size_t dots = body.find("..");
  const std::string lo = body.substr(0, dots), hi = dots == std::string::npos ? "" : body.substr(dots + 2);
  if (dots != std::string::npos && all_digits(lo) && all_digits(hi) && lo.size() <= 18 && hi.size() <= 18) {
    const long long a = std::stoll(lo), b = std::stoll(hi);
    alternatives.names = std::size_t(a <= b ? b - a : a - b) + 1;
    alternatives.bytes = capped_mul(alternatives.names, std::max<std::size_t>({lo.size(), hi.size(), 19}));
  } else {
    for (const std::string& part : split_alternatives(body)) {
      const Expansion e = measure(part);
      alternatives = {capped_add(alternatives.names, e.names), capped_add(alternatives.bytes, e.bytes)};
    }
  }
  const Expansion tails = measure(pattern.substr(close + 1));
  return {capped_mul(alternatives.names, tails.names),
          capped_add(capped_add(capped_mul(open, capped_mul(alternatives.names, tails.names)),
                                capped_mul(alternatives.bytes, tails.names)),
                     capped_mul(tails.bytes, alternatives.names))};
}

// Refuses what would not fit the bounds; `total` accumulates over the sources of one list.
void check_expansion(const std::string& pattern, Expansion& total) {
  if (static_cast<std::size_t>(std::count(pattern.begin(), pattern.end(), '{')) > kMaxBraceGroups)
    throw usage_error("shard list: more than " + std::to_string(kMaxBraceGroups) + " brace groups");
  const Expansion e = measure(pattern);
  total = {capped_add(total.names, e.names), capped_add(total.bytes, e.bytes)};
  if (total.names > kMaxShards || total.bytes > kMaxExpandedBytes)
    throw usage_error("shard list '" + pattern.substr(0, 80) + "' expands to more than " + std::to_string(kMaxShards) +
                      " names or " + std::to_string(kMaxExpandedBytes >> 20) + " MiB");
}

std::vector<std::string> expand_checked(const std::string& pattern) {
  const std::size_t open = pattern.find('{');
  if (open == std::string::npos) {
    if (pattern.find('}') != std::string::npos) throw usage_error("shard list '" + pattern + "': unbalanced '}'");
    return {pattern};
  }
  const std::size_t close = matching_brace(pattern, open);
  if (close == std::string::npos) throw usage_error("shard list '" + pattern + "': unbalanced '{'");
  const std::string prefix = pattern.substr(0, open);
  const std::string body = pattern.substr(open + 1, close - open - 1);
  const std::string suffix = pattern.substr(close + 1);

  std::vector<std::string> alternatives;
  if (!expand_range(body, alternatives)) {
    for (const std::string& part : split_alternatives(body)) {
      for (std::string& expanded : expand_checked(part)) alternatives.push_back(std::move(expanded));
    }
  }
  std::vector<std::string> result;
  const std::vector<std::string> tails = expand_checked(suffix);
  for (const std::string& alternative : alternatives) {
    for (const std::string& tail : tails) result.push_back(prefix + alternative + tail);
  }
  return result;
}

}  // namespace

std::vector<std::string> expand_braces(const std::string& pattern) {
  Expansion total;
  check_expansion(pattern, total);
  return expand_checked(pattern);
}

bool is_csv_source(const std::string& url) {
  const std::string suffix = ".csv";
  return url.size() >= suffix.size() && url.compare(url.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<ShardSpec> expand_shard_list(const std::string& urls, const CsvOptions& csv) {
  std::vector<ShardSpec> shards;
  Expansion total;
  for (const std::string& source : split_sources(urls)) check_expansion(source, total);
  for (const std::string& source : split_sources(urls)) {
    if (source.empty()) continue;
    for (const std::string& url : expand_checked(source)) {
      if (url.empty()) continue;  // "{,a}" has an empty alternative: skipped like an empty source (found by fuzzing)
      ShardSpec spec;
      if (url.rfind("pipe:", 0) == 0) {
        spec.kind = ShardSpec::Kind::kPipe;
        spec.location = url.substr(5);
        spec.name = url;
        shards.push_back(std::move(spec));
      } else if (is_csv_source(url)) {
        auto table = std::make_shared<const CsvTable>(read_csv_table(url, csv));
        for (std::size_t first = 0; first < table->rows.size(); first += kCsvChunkRows) {
          ShardSpec chunk;
          chunk.kind = ShardSpec::Kind::kCsvRows;
          chunk.location = url;
          chunk.csv = table;
          chunk.first_row = first;
          chunk.end_row = std::min(first + kCsvChunkRows, table->rows.size());
          chunk.name = url + "[rows " + std::to_string(first + 1) + "-" + std::to_string(chunk.end_row) + "]";
          shards.push_back(std::move(chunk));
        }
      } else {
        spec.location = url;
        spec.name = url;
        shards.push_back(std::move(spec));
      }
    }
  }
  if (shards.empty()) throw usage_error("shard list '" + urls + "' names no shards");
  return shards;
}

}  // namespace clipforge::data
