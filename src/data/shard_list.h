// Shard lists as OpenCLIP users write them, expanded into the shards the loader reads:
//
//   "data/{00000..00099}.tar::extra/{a,b}.tar.gz"   -> 102 tar files (zero padding kept)
//   "pipe:curl -s https://host/{000..009}.tar"       -> 10 commands whose stdout is a tar
//   "pairs.csv"                                      -> the CSV's rows, in chunks of kCsvChunkRows
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "data/csv_table.h"

namespace clipforge::data {

// Rows of a CSV source per shard, so that a CSV splits across readers like tar shards do.
inline constexpr std::size_t kCsvChunkRows = 1000;

struct ShardSpec {
  enum class Kind { kTarFile, kPipe, kCsvRows };
  Kind kind = Kind::kTarFile;
  std::string location;  // file path, or the shell command for kPipe
  std::string name;      // shown in logs and reports: the path, "pipe:COMMAND" or "FILE.csv[rows a-b]"
  std::shared_ptr<const CsvTable> csv;  // kCsvRows only
  std::size_t first_row = 0, end_row = 0;
};

// Bash-style brace expansion: "{a,b}" lists and "{007..010}" ranges (zero-padded to the width of
// a bound written with a leading zero), several groups multiply, nesting allowed. Text without
// braces comes back unchanged. Throws usage_error on an unbalanced brace.
std::vector<std::string> expand_braces(const std::string& pattern);

// True for a URL the loader reads as CSV image-caption pairs (a ".csv" file) rather than a tar shard.
bool is_csv_source(const std::string& url);

// Splits on "::", expands braces in each source, recognises "pipe:" commands and ".csv" files
// (read with `csv`). Throws usage_error for an empty list and input_error for an unreadable CSV.
std::vector<ShardSpec> expand_shard_list(const std::string& urls, const CsvOptions& csv = {});

}  // namespace clipforge::data
