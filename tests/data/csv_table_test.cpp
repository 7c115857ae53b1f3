// The CSV source as OpenCLIP users write it: --csv-separator (tab by default there),
// --csv-img-key / --csv-caption-key, a byte-order mark from Excel, and one-line errors.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "data/csv_table.h"
#include "data/data_fixtures.h"
#include "data/loader.h"
#include "support/run_cli.h"

using namespace clipforge;

namespace {
std::vector<std::string> captions(const data::CsvTable& table) {
  std::vector<std::string> out;
  for (const auto& row : table.rows) out.push_back(row.caption);
  return out;
}
}  // namespace

TEST_CASE("OpenCLIP's tab-separated filepath/title file reads without options", "[data][csv]") {
  const auto table = data::parse_csv_table("filepath\ttitle\n/i/a.jpg\ta cat, sitting\n/i/b.jpg\t\"quoted\ttab\"\n", "d/t.csv");
  REQUIRE(table.rows.size() == 2);
  CHECK(table.rows[0].image_path == "/i/a.jpg");
  CHECK(captions(table) == std::vector<std::string>{"a cat, sitting", "quoted\ttab"});
}

TEST_CASE("a comma-separated file still reads as before, and an explicit separator wins over the header", "[data][csv]") {
  const std::string text = "image_path,caption\na.jpg,x;y\n";
  const auto commas = data::parse_csv_table(text, "d/c.csv");
  CHECK(commas.rows.at(0).image_path == "d/a.jpg");
  CHECK(captions(commas) == std::vector<std::string>{"x;y"});
  data::CsvOptions semicolon;
  semicolon.separator = ';';
  const auto split = data::parse_csv_table("image_path;caption\na.jpg;x,y\n", "d/s.csv", semicolon);
  CHECK(captions(split) == std::vector<std::string>{"x,y"});
  // Forced to tabs, a comma header is one column named after the whole line.
  semicolon.separator = '\t';
  CHECK_THROWS_WITH(data::parse_csv_table(text, "d/c.csv", semicolon),
                    "d/c.csv:1: no image column 'image_path' or 'filepath' (--csv-img-key); the header has 'image_path,caption'");
}

TEST_CASE("the image and caption keys pick the columns, and a missing one is named", "[data][csv]") {
  data::CsvOptions keys;
  keys.image_key = "url";
  keys.caption_key = "alt";
  const auto table = data::parse_csv_table("caption,alt,url,filepath\nnot this,yes,/u.jpg,/f.jpg\n", "k.csv", keys);
  REQUIRE(table.rows.size() == 1);
  CHECK(table.rows[0].image_path == "/u.jpg");
  CHECK(table.rows[0].caption == "yes");
  keys.caption_key = "text";
  try {
    data::parse_csv_table("url,alt\n/u.jpg,x\n", "k.csv", keys);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kInput);
    CHECK(std::string(e.what()) == "k.csv:1: no caption column 'text' (--csv-caption-key); the header has 'url', 'alt'");
  }
}

TEST_CASE("a UTF-8 byte-order mark before the header is ignored", "[data][csv]") {
  const auto table = data::parse_csv_table("\xEF\xBB\xBF" "filepath\ttitle\n/a.jpg\tt\n", "bom.csv");
  REQUIRE(table.rows.size() == 1);
  CHECK(table.rows[0].caption == "t");
  CHECK(table.rows[0].line == 2);
  // Only at the start: inside a field it is text.
  CHECK(data::parse_csv_table("filepath,title\n/a.jpg,\xEF\xBB\xBFt\n", "bom.csv").rows[0].caption == "\xEF\xBB\xBFt");
}

TEST_CASE("separators are parsed as OpenCLIP users type them", "[data][csv]") {
  CHECK(data::parse_csv_separator("\\t") == '\t');
  CHECK(data::parse_csv_separator("\t") == '\t');
  CHECK(data::parse_csv_separator("tab") == '\t');
  CHECK(data::parse_csv_separator(",") == ',');
  CHECK(data::parse_csv_separator("|") == '|');
  for (const char* bad : {"", "ab", "\"", "\n"}) {
    INFO(bad);
    CHECK_THROWS_WITH(data::parse_csv_separator(bad), Catch::Contains("--csv-separator"));
  }
}

TEST_CASE("the loader reads a tab-separated CSV with custom columns through LoaderConfig::csv", "[data][csv][sources]") {
  const std::string dir = testing::fresh_dir("csv_loader");
  testing::write_text(dir + "/a.jpg", testing::jpeg_bytes(12, 12, 1));
  testing::write_text(dir + "/b.jpg", testing::jpeg_bytes(12, 12, 2));
  testing::write_text(dir + "/pairs.csv", "\xEF\xBB\xBFid|img|text\n1|a.jpg|first\n2|b.jpg|second\n");
  data::LoaderConfig config = testing::test_config(dir + "/pairs.csv");
  config.drop_last = false;
  config.shuffle_buffer = 0;
  config.workers = 1;
  config.csv.separator = '|';
  config.csv.image_key = "img";
  config.csv.caption_key = "text";
  data::Loader loader(config);
  loader.start_epoch(0);
  const auto batch = loader.next();
  REQUIRE(batch);
  CHECK(batch->captions == std::vector<std::string>{"first", "second"});
  CHECK(loader.skipped().empty());
}

TEST_CASE("shards make takes the CSV separator and key options, and a missing column is one line with exit 3", "[data][csv][cli]") {
  const std::string dir = testing::fresh_dir("csv_cli");
  testing::write_text(dir + "/a.jpg", testing::jpeg_bytes(12, 12, 1));
  testing::write_text(dir + "/pairs.csv", "img;text\na.jpg;one\n");
  const auto made = testing::run_cli("shards make --csv " + dir + "/pairs.csv --csv-separator ';' --csv-img-key img --csv-caption-key text --out " +
                                     dir + "/out");
  INFO(made.err);
  CHECK(made.exit_code == 0);
  CHECK(nlohmann::json::parse(made.out)["samples"] == 1);
  const auto missing = testing::run_cli("shards make --csv " + dir + "/pairs.csv --csv-separator ';' --out " + dir + "/out2");
  CHECK(missing.exit_code == 3);
  CHECK(missing.err == "clipforge: error: " + dir +
                           "/pairs.csv:1: no image column 'image_path' or 'filepath' (--csv-img-key); the header has 'img', 'text'\n");
  const auto bad = testing::run_cli("shards make --csv " + dir + "/pairs.csv --csv-separator ';;' --out " + dir + "/out3");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--csv-separator") != std::string::npos);
}
