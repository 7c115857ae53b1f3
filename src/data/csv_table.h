// The CSV source of image-text pairs: a header row naming an image column and a caption column,
// then one pair per row. Quoting follows RFC 4180 (quoted fields may hold separators, doubled
// quotes and newlines); a UTF-8 byte-order mark before the header is ignored. Relative image paths
// are resolved against the CSV's folder.
//
// Columns and separator as OpenCLIP's --csv-img-key, --csv-caption-key and --csv-separator, with
// defaults that also read clipforge's own files: without a key, the image column is `image_path`,
// else OpenCLIP's `filepath`, and the caption column `caption`, else `title`; without a separator,
// the header line decides: a tab in it (OpenCLIP's default separator) makes the file
// tab-separated, otherwise it is comma-separated.
//
//   CsvOptions options;
//   options.separator = parse_csv_separator("\\t");
//   CsvTable table = read_csv_table("train.csv", options);
#pragma once

#include <string>
#include <vector>

namespace clipforge::data {

struct CsvOptions {
  char separator = 0;       // 0: from the header line (tab if it holds one, else comma)
  std::string image_key;    // "": image_path, else filepath
  std::string caption_key;  // "": caption, else title
};

// A separator as typed on a command line: one character, or `\t` / `tab` for a tab (OpenCLIP's
// default, which shells pass as backslash-t). Throws usage_error for anything else, including
// the quote, CR and LF.
char parse_csv_separator(const std::string& text);

struct CsvRow {
  std::string image_path;  // as resolved (absolute or relative to the working directory)
  std::string caption;
  std::size_t line = 0;    // 1-based line of the row in the file, for messages
};

struct CsvTable {
  std::string path;
  std::vector<CsvRow> rows;
};

// Throws input_error naming the file (and line) for an unreadable file, a missing column (named,
// with the columns the header has) or an unterminated quote.
CsvTable read_csv_table(const std::string& path, const CsvOptions& options = {});

// The same for text already in memory; `path` names it in messages and anchors relative paths.
CsvTable parse_csv_table(const std::string& text, const std::string& path, const CsvOptions& options = {});

}  // namespace clipforge::data
