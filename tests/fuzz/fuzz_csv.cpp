// Any bytes as a CSV of image-caption pairs, with each separator choice: the reader returns rows
// that have both columns, or throws clipforge::Error naming the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "data/csv_table.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const char separator : {'\0', ',', '\t', ';'}) {  // '\0': chosen from the header line
    clipforge::data::CsvOptions options;
    options.separator = separator;
    if (separator == ';') {
      options.image_key = "img";
      options.caption_key = "text";
    }
    try {
      const clipforge::data::CsvTable table = clipforge::data::parse_csv_table(text, "dir/fuzz.csv", options);
      std::size_t previous_line = 1;  // the header's line at least
      for (const auto& row : table.rows) {
        const bool resolved = row.image_path.rfind("dir/", 0) == 0 || row.image_path.rfind('/', 0) == 0;
        if (row.line <= previous_line || !resolved) __builtin_trap();
        previous_line = row.line;
      }
    } catch (const clipforge::Error& e) {
      if (std::string(e.what()).rfind("dir/fuzz.csv", 0) != 0) __builtin_trap();
    }
  }
  return 0;
}
