#include "data/csv_table.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/files.h"

namespace clipforge::data {
namespace {

struct Record {
  std::vector<std::string> fields;
  std::size_t line = 0;
};

std::vector<Record> parse_records(const std::string& text, const std::string& path) {
  std::vector<Record> records;
  Record current{{std::string()}, 1};
  std::size_t line = 1;
  bool quoted = false;
  bool any = false;  // the current record has content (blank lines are not records)
  for (std::size_t i = 0; i < text.size(); ++i) {
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
    } else if (c == ',') {
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

int column_of(const std::vector<std::string>& header, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it != header.end()) return static_cast<int>(it - header.begin());
  }
  return -1;
}

}  // namespace

CsvTable read_csv_table(const std::string& path) {
  std::vector<Record> records = parse_records(read_file(path), path);
  if (records.empty()) throw input_error(path + ": empty CSV (expected a header row 'image_path,caption')");
  const int image_column = column_of(records[0].fields, {"image_path", "filepath"});
  const int caption_column = column_of(records[0].fields, {"caption", "title"});
  if (image_column < 0 || caption_column < 0) {
    throw input_error(path + ":1: header needs an 'image_path' (or 'filepath') and a 'caption' (or 'title') column");
  }
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  CsvTable table{path, {}};
  for (std::size_t r = 1; r < records.size(); ++r) {
    const Record& record = records[r];
    const std::size_t needed = static_cast<std::size_t>(std::max(image_column, caption_column)) + 1;
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

}  // namespace clipforge::data
