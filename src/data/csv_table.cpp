#include "data/csv_table.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/files.h"

namespace clipforge::data {
namespace {

constexpr const char* kUtf8Bom = "\xEF\xBB\xBF";

struct Record {
  std::vector<std::string> fields;
  std::size_t line = 0;
};

// A tab outside quotes on the header line: OpenCLIP's tab-separated files work without a flag,
// and a comma-separated header never holds a tab.
char detect_separator(const std::string& text, std::size_t start) {
  bool quoted = false;
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') quoted = !quoted;
    else if (!quoted && (c == '\n' || c == '\r')) break;
    else if (!quoted && c == '\t') return '\t';
  }
  return ',';
}

std::vector<Record> parse_records(const std::string& text, std::size_t start, char separator, const std::string& path) {
  std::vector<Record> records;
  Record current{{std::string()}, 1};
  std::size_t line = 1;
  bool quoted = false;
  bool any = false;  // the current record has content (blank lines are not records)
  for (std::size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        current.fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        current.fields.back() += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == separator) {
      current.fields.emplace_back();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any) records.push_back(std::move(current));
      ++line;
      current = Record{{std::string()}, line};
      any = false;
    } else {
      current.fields.back() += c;
      any = true;
    }
  }
  if (quoted) throw input_error(path + ":" + std::to_string(current.line) + ": unterminated quoted field");
  if (any) records.push_back(std::move(current));
  return records;
}

std::string header_list(const std::vector<std::string>& header) {
  std::string list;
  for (const std::string& name : header) list += (list.empty() ? "'" : ", '") + name + "'";
  return list;
}

// The column named `key`, or without one the first of the defaults present.
int column_of(const std::vector<std::string>& header, const std::string& key, std::initializer_list<const char*> defaults,
              const std::string& what, const std::string& flag, const std::string& path) {
  std::vector<std::string> names(defaults.begin(), defaults.end());
  if (!key.empty()) names = {key};
  for (const std::string& name : names) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it != header.end()) return static_cast<int>(it - header.begin());
  }
  const std::string wanted = key.empty() ? "'" + names[0] + "' or '" + names[1] + "'" : "'" + key + "'";
  throw input_error(path + ":1: no " + what + " column " + wanted + " (" + flag + "); the header has " + header_list(header));
}

}  // namespace

char parse_csv_separator(const std::string& text) {
  if (text == "\\t" || text == "\t" || text == "tab") return '\t';
  if (text.size() != 1 || text == "\"" || text == "\n" || text == "\r") {
    throw usage_error("--csv-separator: '" + text + "' is not one character other than a quote or line break (\\t for a tab)");
  }
  return text[0];
}

CsvTable parse_csv_table(const std::string& text, const std::string& path, const CsvOptions& options) {
  const std::size_t start = text.compare(0, 3, kUtf8Bom) == 0 ? 3 : 0;  // Excel writes one
  const char separator = options.separator != 0 ? options.separator : detect_separator(text, start);
  std::vector<Record> records = parse_records(text, start, separator, path);
  if (records.empty()) throw input_error(path + ": empty CSV (expected a header row such as 'filepath,title')");
  const std::vector<std::string>& header = records[0].fields;
  const int image_column = column_of(header, options.image_key, {"image_path", "filepath"}, "image", "--csv-img-key", path);
  const int caption_column = column_of(header, options.caption_key, {"caption", "title"}, "caption", "--csv-caption-key", path);
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  const std::size_t needed = static_cast<std::size_t>(std::max(image_column, caption_column)) + 1;
  CsvTable table{path, {}};
  for (std::size_t r = 1; r < records.size(); ++r) {
    const Record& record = records[r];
    if (record.fields.size() < needed) {
      throw input_error(path + ":" + std::to_string(record.line) + ": row has " + std::to_string(record.fields.size()) +
                        " fields, the header needs " + std::to_string(needed));
    }
    std::filesystem::path image = record.fields[image_column];
    if (image.is_relative()) image = folder / image;
    table.rows.push_back({image.string(), record.fields[caption_column], record.line});
  }
  return table;
}

CsvTable read_csv_table(const std::string& path, const CsvOptions& options) {
  return parse_csv_table(read_file(path), path, options);
}

}  // namespace clipforge::data
