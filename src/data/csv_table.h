// The CSV source of image-text pairs: a header row naming an image column (`image_path` or
// OpenCLIP's `filepath`) and a caption column (`caption` or `title`), then one pair per row.
// Quoting follows RFC 4180 (quoted fields may hold commas, doubled quotes and newlines).
// Relative image paths are resolved against the CSV's folder.
#pragma once

#include <string>
#include <vector>

namespace clipforge::data {

struct CsvRow {
  std::string image_path;  // as resolved (absolute or relative to the working directory)
  std::string caption;
  std::size_t line = 0;    // 1-based line of the row in the file, for messages
};

struct CsvTable {
  std::string path;
  std::vector<CsvRow> rows;
};

// Throws input_error naming the file (and line) for an unreadable file, a missing column or an
// unterminated quote.
CsvTable read_csv_table(const std::string& path);

}  // namespace clipforge::data
