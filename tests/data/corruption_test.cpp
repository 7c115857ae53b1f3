// Bad data never stops the loader: every kind is skipped, counted under its reason and the good
// samples still arrive. Unsafe member paths are never written anywhere.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/files.h"
#include "data/data_fixtures.h"
#include "data/loader.h"
#include "data/shards_check.h"
#include "support/run_cli.h"

using namespace clipforge;
namespace fs = std::filesystem;

namespace {

void overwrite(const std::string& path, std::size_t offset, const std::string& bytes) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(static_cast<std::streamoff>(offset));
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Where each member of a plain tar ends (its header, then its data padded to 512 bytes).
std::vector<std::size_t> tar_member_ends(const std::string& tar) {
  std::vector<std::size_t> ends;
  for (std::size_t at = 0; at + 512 <= tar.size() && tar[at] != '\0';) {
    const std::size_t size = std::stoul(tar.substr(at + 124, 11), nullptr, 8);
    at += 512 + (size + 511) / 512 * 512;
    ends.push_back(at);
  }
  return ends;
}

}  // namespace

TEST_CASE("every corruption is skipped and counted by reason, good samples survive", "[data][corruption]") {
  const std::string dir = testing::fresh_dir("corrupt");
  testing::write_dataset(dir + "/good", 1, 4);
  {
    data::TarWriter writer(dir + "/bad_samples.tar");
    writer.add("undecodable.jpg", "this is not an image at all");
    writer.add("undecodable.txt", "caption");
    writer.add("empty.jpg", "");
    writer.add("empty.txt", "caption");
    writer.add("nocaption.jpg", testing::jpeg_bytes(12, 12, 5));
    writer.add("nocaption.json", R"({"other": 1})");
    writer.add("ok.jpg", testing::jpeg_bytes(12, 12, 6));
    writer.add("ok.txt", "fine");
    writer.add("/abs_evil/x.jpg", testing::jpeg_bytes(12, 12, 7));
    writer.add("/abs_evil/x.txt", "absolute");
    writer.add("../up_evil/y.jpg", testing::jpeg_bytes(12, 12, 8));
    writer.add("../up_evil/y.txt", "dot dot");
    writer.commit();
  }
  // Truncated: the second half of a good shard is gone. The samples (3 members each) wholly
  // before the cut survive: counted here from the tar headers, not by the reader under test.
  testing::write_dataset(dir + "/trunc", 1, 6);
  const std::string whole = read_file(dir + "/trunc/00000.tar");
  const std::vector<std::size_t> member_ends = tar_member_ends(whole);
  const std::size_t cut = whole.size() / 2;
  fs::resize_file(dir + "/trunc/00000.tar", cut);
  const auto members_before_cut = std::count_if(member_ends.begin(), member_ends.end(), [&](std::size_t end) { return end <= cut; });
  const int64_t truncated_survivors = members_before_cut / 3;
  // Corrupt: garbage over the header of the fourth member; the three before it (one sample)
  // still count.
  testing::write_dataset(dir + "/damaged", 1, 6);
  overwrite(dir + "/damaged/00000.tar", tar_member_ends(read_file(dir + "/damaged/00000.tar"))[2], std::string(300, 'Z'));

  const std::string urls = dir + "/good/00000.tar::" + dir + "/bad_samples.tar::" + dir + "/trunc/00000.tar::" + dir +
                           "/damaged/00000.tar::" + dir + "/missing.tar::pipe:false::pipe:cat " + dir + "/nope.tar 2>/dev/null";
  data::LoaderConfig config = testing::test_config(urls);
  config.drop_last = false;
  config.shuffle_buffer = 0;
  config.workers = 3;
  std::vector<std::string> warnings;
  std::mutex warnings_mutex;
  config.on_warning = [&](const std::string& w) {
    std::lock_guard<std::mutex> lock(warnings_mutex);
    warnings.push_back(w);
  };
  data::Loader loader(config);
  auto keys = testing::epoch_keys(loader, 0);
  std::sort(keys.begin(), keys.end());
  const auto skipped = loader.skipped();
  INFO(skipped.dump());
  CHECK(skipped.value("undecodable_image", 0) == 1);
  CHECK(skipped.value("empty_image", 0) == 1);
  CHECK(skipped.value("missing_caption", 0) == 1);
  CHECK(skipped.value("unsafe_path", 0) == 2);
  CHECK(skipped.value("truncated_tar", 0) == 1);
  CHECK(skipped.value("corrupt_tar", 0) == 1);
  CHECK(skipped.value("missing_shard", 0) == 1);
  CHECK(skipped.value("pipe_failed", 0) == 2);
  // The three shards written by write_dataset reuse the keys s00_0000...: good gives 4, damaged
  // the 1 sample before the damaged member, trunc the samples wholly before the cut.
  INFO(truncated_survivors << " samples of the truncated shard precede the cut");
  REQUIRE(truncated_survivors >= 1);
  CHECK(std::count_if(keys.begin(), keys.end(), [](const std::string& k) { return k.rfind("s00_", 0) == 0; }) ==
        4 + 1 + truncated_survivors);
  CHECK(keys.size() == static_cast<size_t>(4 + 1 + truncated_survivors + 1));  // and "ok"
  CHECK(std::find(keys.begin(), keys.end(), "ok") != keys.end());
  CHECK(std::find(keys.begin(), keys.end(), "/abs_evil/x") == keys.end());
  // Each problem is logged once, naming its shard.
  CHECK(std::any_of(warnings.begin(), warnings.end(), [&](const std::string& w) {
    return w.find("missing_shard: " + dir + "/missing.tar") != std::string::npos;
  }));
  CHECK(std::any_of(warnings.begin(), warnings.end(),
                    [](const std::string& w) { return w.find("undecodable_image") != std::string::npos && w.find(": undecodable") != std::string::npos; }));
  // Nothing was extracted: the unsafe paths exist nowhere.
  CHECK(!fs::exists("/abs_evil"));
  CHECK(!fs::exists(fs::path(dir).parent_path() / "up_evil"));
  CHECK(!fs::exists(fs::current_path().parent_path() / "up_evil"));
}

TEST_CASE("a shard list where nothing is readable ends the epoch instead of hanging", "[data][corruption]") {
  const std::string dir = testing::fresh_dir("all_bad");
  data::LoaderConfig config = testing::test_config(dir + "/{0..3}.tar::pipe:exit 3");
  config.num_samples = 30;  // cycling epoch: a reader whose shards give nothing must still stop
  data::Loader loader(config);
  CHECK(testing::epoch_keys(loader, 0).empty());
  // A cycling reader tries its shards again each cycle: at least once each, however often.
  CHECK(loader.skipped().value("missing_shard", 0) >= 4);
  CHECK(loader.skipped().value("pipe_failed", 0) >= 1);
}

TEST_CASE("a pipe: command that goes silent is killed after the timeout, what it sent is kept", "[data][corruption]") {
  const std::string dir = testing::fresh_dir("stall");
  testing::write_dataset(dir, 1, 3);
  // One command sends a whole shard and then never exits, the other never sends a byte. The
  // sleeps' unusual lengths let the test find leftovers.
  data::LoaderConfig config = testing::test_config("pipe:cat " + dir + "/00000.tar; sleep 617::pipe:sleep 618");
  config.workers = 1;
  config.drop_last = false;
  config.num_samples = 3;  // not counted: counting would run the commands too
  config.limits.pipe_timeout_s = 1;
  data::Loader loader(config);
  CHECK(testing::epoch_keys(loader, 0).size() == 3);
  CHECK(loader.skipped().value("pipe_failed", 0) == 2);
  CHECK(std::system("pgrep -f 'sleep 61[78]' > /dev/null") != 0);  // killed with their shells
}

TEST_CASE("shards check reports totals and per-shard counts", "[data][corruption]") {
  const std::string dir = testing::fresh_dir("check");
  testing::write_dataset(dir, 2, 3);
  {
    data::TarWriter writer(dir + "/00002.tar");
    writer.add("x.jpg", "garbage");
    writer.add("x.txt", "c");
    writer.commit();
  }
  data::CheckConfig config;
  config.urls = dir + "/{00000..00002}.tar";
  config.workers = 2;
  config.on_warning = nullptr;
  const auto report = data::check_shards(config);
  CHECK(report["shards"] == 3);
  CHECK(report["samples"] == 7);
  CHECK(report["ok"] == 6);
  CHECK(report["skipped"] == nlohmann::json{{"undecodable_image", 1}});
  CHECK(report["per_shard"][dir + "/00002.tar"]["samples"] == 1);
  CHECK(report["per_shard"][dir + "/00000.tar"]["ok"] == 3);
}

TEST_CASE("an exception in a worker reaches the consumer through next()", "[data][loader]") {
  const std::string dir = testing::fresh_dir("worker_throws");
  {
    data::TarWriter writer(dir + "/0.tar");
    writer.add("a.jpg", "undecodable");
    writer.add("a.txt", "caption");
    writer.commit();
  }
  data::LoaderConfig config = testing::test_config(dir + "/0.tar");
  config.workers = 1;
  config.drop_last = false;
  // The warning sink runs on the worker thread; its exception must not vanish there.
  config.on_warning = [](const std::string&) { throw std::runtime_error("sink failed"); };
  data::Loader loader(config);
  loader.start_epoch(0);
  CHECK_THROWS_WITH(loader.next(), "sink failed");
}

TEST_CASE("truncation and damage are told apart by where the stream stood, not by libarchive's message", "[data][corruption]") {
  const std::string dir = testing::fresh_dir("damage_kinds");
  // Everything here fits in libarchive's first 64 KiB read, so "all bytes were read" alone
  // cannot tell a cut from damage: what counts is whether libarchive asked for more after the end.
  const auto skipped = [](const std::string& url) {
    data::CheckConfig config;
    config.urls = url;
    config.workers = 1;
    config.on_warning = nullptr;
    return data::check_shards(config)["skipped"];
  };
  const auto cut = [](const std::string& path) { fs::resize_file(path, fs::file_size(path) * 2 / 3); };
  testing::write_dataset(dir + "/plain", 1, 6);
  cut(dir + "/plain/00000.tar");
  testing::write_dataset(dir + "/gz", 1, 6, data::Compression::kGzip);
  cut(dir + "/gz/00000.tar.gz");
  testing::write_dataset(dir + "/zst", 1, 6, data::Compression::kZstd);
  cut(dir + "/zst/00000.tar.zst");
  CHECK(skipped(dir + "/plain/00000.tar") == nlohmann::json{{"truncated_tar", 1}});
  CHECK(skipped(dir + "/gz/00000.tar.gz") == nlohmann::json{{"truncated_tar", 1}});
  CHECK(skipped(dir + "/zst/00000.tar.zst") == nlohmann::json{{"truncated_tar", 1}});
  CHECK(skipped("pipe:cat " + dir + "/plain/00000.tar") == nlohmann::json{{"truncated_tar", 1}});

  // The last member's header damaged: the end of the file is near, but the header was all there.
  testing::write_dataset(dir + "/last", 1, 2);
  overwrite(dir + "/last/00000.tar", tar_member_ends(read_file(dir + "/last/00000.tar"))[4], std::string(100, 'Z'));
  CHECK(skipped(dir + "/last/00000.tar") == nlohmann::json{{"corrupt_tar", 1}});
  CHECK(skipped("pipe:cat " + dir + "/last/00000.tar") == nlohmann::json{{"corrupt_tar", 1}});
  // Deflate data damaged near its start: the decompressor fails with input left, not for want of it.
  testing::write_dataset(dir + "/badgz", 1, 6, data::Compression::kGzip);
  std::string gz = read_file(dir + "/badgz/00000.tar.gz");
  for (std::size_t i = 30; i < 70; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x55);
  testing::write_text(dir + "/badgz/00000.tar.gz", gz);
  CHECK(skipped(dir + "/badgz/00000.tar.gz") == nlohmann::json{{"corrupt_tar", 1}});
  // Not a tar at all, shorter and longer than a tar block: unrecognised, whether or not it ended.
  testing::write_text(dir + "/short.tar", "not a tar");
  testing::write_text(dir + "/long.tar", std::string(5000, 'x'));
  CHECK(skipped(dir + "/short.tar") == nlohmann::json{{"corrupt_tar", 1}});
  CHECK(skipped(dir + "/long.tar") == nlohmann::json{{"corrupt_tar", 1}});
}
