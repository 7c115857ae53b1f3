// Every source kind through the loader: grouping by key, captions from txt or json, compressed
// tars, pipe: commands and CSV pairs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>

#include "data/data_fixtures.h"
#include "data/loader.h"
#include "data/sample_reader.h"

using namespace clipforge;

namespace {
std::vector<std::string> sorted_keys(const data::LoaderConfig& config) {
  data::Loader loader(config);
  auto keys = testing::epoch_keys(loader, 0);
  std::sort(keys.begin(), keys.end());
  return keys;
}

data::LoaderConfig single_pass(const std::string& urls) {
  data::LoaderConfig config = testing::test_config(urls);
  config.drop_last = false;
  config.train = false;
  config.shuffle_buffer = 0;
  return config;
}
}  // namespace

TEST_CASE("the key is the member path up to the first dot of its file name", "[data][grouping]") {
  std::string key, ext;
  data::split_member_name("dir.v2/abc.def.jpg", key, ext);
  CHECK(key == "dir.v2/abc");
  CHECK(ext == "def.jpg");
  data::split_member_name("noext", key, ext);
  CHECK(key == "noext");
  CHECK(ext == "");
}

TEST_CASE("consecutive members with one key form a sample, caption from txt, else json", "[data][grouping]") {
  const std::string dir = testing::fresh_dir("grouping");
  {
    data::TarWriter writer(dir + "/g.tar");
    writer.add("sub/a.jpg", testing::jpeg_bytes(12, 12, 1));
    writer.add("sub/a.txt", "from txt");
    writer.add("sub/a.json", R"({"caption": "from json"})");
    writer.add("sub/a.cls", "ignored");
    writer.add("b.PNG.txt", "b has no image of its own");
    writer.add("c.jpeg", testing::jpeg_bytes(12, 12, 2));
    writer.add("c.json", R"({"caption": "json caption"})");
    writer.commit();
  }
  data::LoaderConfig config = single_pass(dir + "/g.tar");
  data::Loader loader(config);
  loader.start_epoch(0);
  const auto batch = loader.next();
  REQUIRE(batch);
  CHECK(batch->keys == std::vector<std::string>{"sub/a", "c"});
  CHECK(batch->captions == std::vector<std::string>{"from txt", "json caption"});
  CHECK(loader.skipped() == nlohmann::json{{"missing_image", 1}});
}

TEST_CASE("gzip and zstd compressed shards read like plain ones", "[data][sources]") {
  const auto gz = testing::write_dataset(testing::fresh_dir("gz"), 2, 4, data::Compression::kGzip);
  const auto zst = testing::write_dataset(testing::fresh_dir("zst"), 2, 4, data::Compression::kZstd);
  const auto plain = testing::write_dataset(testing::fresh_dir("plain"), 2, 4);
  const auto expected = sorted_keys(single_pass(plain));
  CHECK(expected.size() == 8);
  CHECK(sorted_keys(single_pass(gz)) == expected);
  CHECK(sorted_keys(single_pass(zst)) == expected);
  CHECK(sorted_keys(single_pass(plain + "::" + gz)).size() == 16);
}

TEST_CASE("pipe:cat FILE streams a shard from a command", "[data][sources]") {
  const std::string dir = testing::fresh_dir("pipe");
  testing::write_dataset(dir, 3, 4);
  const auto from_pipe = sorted_keys(single_pass("pipe:cat " + dir + "/{00000..00002}.tar"));
  CHECK(from_pipe == sorted_keys(single_pass(dir + "/{00000..00002}.tar")));
  CHECK(from_pipe.size() == 12);
}

TEST_CASE("a CSV of image paths and captions is a source, missing images are skipped", "[data][sources][csv]") {
  const std::string dir = testing::fresh_dir("csv_loader");
  for (int i = 0; i < 3; ++i) {
    std::ofstream(dir + "/img" + std::to_string(i) + ".jpg", std::ios::binary) << testing::jpeg_bytes(10, 14, i);
  }
  std::ofstream(dir + "/pairs.csv") << "image_path,caption\nimg0.jpg,zero\nimg1.jpg,one\nmissing.jpg,gone\nimg2.jpg,two\n";
  data::LoaderConfig config = single_pass(dir + "/pairs.csv");
  data::Loader loader(config);
  CHECK(loader.num_samples() == 4);
  loader.start_epoch(0);
  std::vector<std::string> captions;
  while (auto batch = loader.next()) captions.insert(captions.end(), batch->captions.begin(), batch->captions.end());
  CHECK(captions == std::vector<std::string>{"zero", "one", "two"});
  CHECK(loader.skipped() == nlohmann::json{{"missing_image", 1}});
}

TEST_CASE("sizes.json and *_stats.json size the epoch without reading the shards", "[data][sources]") {
  const std::string dir = testing::fresh_dir("sizes");
  const auto urls = testing::write_dataset(dir, 2, 4);
  std::ofstream(dir + "/00001_stats.json") << R"({"successes": 40, "count": 41})";
  {
    data::Loader loader(single_pass(urls));
    CHECK(loader.num_samples() == 44);  // shard 0 counted, shard 1 from its stats file
    CHECK(loader.plan()["samples_from"] == "_stats.json+counted");
  }
  const std::string other = testing::fresh_dir("sizes_json");
  const auto urls2 = testing::write_dataset(other, 2, 4);
  std::ofstream(other + "/sizes.json") << R"({"00000.tar": 100, "00001.tar": 200})";
  data::Loader loader(single_pass(urls2));
  CHECK(loader.num_samples() == 300);
  CHECK(loader.plan()["samples_from"] == "sizes.json");
}
