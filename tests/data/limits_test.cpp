// Resource bounds on untrusted shards: members and captions over the configured size are
// skipped without being buffered, and shard patterns cannot expand without limit.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "data/data_fixtures.h"
#include "data/sample_reader.h"
#include "data/shard_list.h"
#include "data/tar_writer.h"

using namespace clipforge;

namespace {

// Reasons check_sample gives each sample of a tar shard, "ok" for usable ones, keyed by sample.
std::vector<std::string> verdicts(const std::string& location, bool pipe, const data::ReadLimits& limits) {
  data::ShardSpec shard;
  shard.kind = pipe ? data::ShardSpec::Kind::kPipe : data::ShardSpec::Kind::kTarFile;
  shard.location = shard.name = location;
  data::SampleReader reader(shard, limits);
  std::vector<std::string> out;
  data::RawSample sample;
  while (reader.next(sample)) {
    const auto reason = data::check_sample(sample, limits);
    out.push_back(sample.key + ":" + (reason ? data::reason_name(*reason) : "ok"));
  }
  return out;
}

// A POSIX ustar header for a regular file of `size` bytes (the data itself is not written).
std::string ustar_header(const std::string& name, std::uint64_t size) {
  std::string h(512, '\0');
  auto put = [&h](std::size_t offset, const std::string& text) { h.replace(offset, text.size(), text); };
  auto octal = [](std::uint64_t value, int digits) {
    std::ostringstream s;
    s << std::oct << value;
    std::string text = s.str();
    return std::string(digits - text.size(), '0') + text;
  };
  put(0, name);
  put(100, octal(0644, 7));
  put(108, octal(0, 7));
  put(116, octal(0, 7));
  put(124, octal(size, 11));
  put(136, octal(0, 11));
  put(148, "        ");  // checksum field counts as spaces while summing
  put(156, "0");
  put(257, std::string("ustar\0" "00", 8));
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  put(148, octal(sum, 6) + std::string("\0 ", 2));
  return h;
}

long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

TEST_CASE("members and captions over the bounds are skipped as oversized_member", "[data][limits]") {
  const std::string dir = testing::fresh_dir("limits");
  const std::string small_jpeg = testing::jpeg_bytes(8, 8, 1);
  const data::ReadLimits limits{2000, 100};
  REQUIRE(small_jpeg.size() < limits.max_member_bytes);
  {
    data::TarWriter writer(dir + "/shard.tar");
    writer.add("bigimage.jpg", std::string(5000, 'x'));
    writer.add("bigimage.txt", "caption");
    writer.add("longtxt.jpg", small_jpeg);
    writer.add("longtxt.txt", std::string(101, 'c'));
    writer.add("longjson.jpg", small_jpeg);
    writer.add("longjson.json", "{\"caption\": \"" + std::string(150, 'j') + "\"}");
    writer.add("ignored.jpg", small_jpeg);
    writer.add("ignored.txt", "fine");
    writer.add("ignored.bin", std::string(5000, 'b'));  // not a member the sample uses
    writer.add("edge.jpg", small_jpeg);
    writer.add("edge.txt", std::string(100, 'e'));  // exactly at the bound
    writer.commit();
  }
  CHECK(verdicts(dir + "/shard.tar", false, limits) ==
        std::vector<std::string>{"bigimage:oversized_member", "longtxt:oversized_member", "longjson:oversized_member",
                                 "ignored:ok", "edge:ok"});
  // With the default bounds every sample is usable.
  CHECK(verdicts(dir + "/shard.tar", false, {}) ==
        std::vector<std::string>{"bigimage:ok", "longtxt:ok", "longjson:ok", "ignored:ok", "edge:ok"});
}

TEST_CASE("a shard that is one huge member is read in bounded memory", "[data][limits]") {
  const std::string dir = testing::fresh_dir("huge_member");
  constexpr std::uint64_t kHuge = 1ull << 30;  // 1 GiB of zeros, streamed through a pipe, never on disk
  std::ofstream(dir + "/head.bin", std::ios::binary) << ustar_header("huge.jpg", kHuge);
  std::string tail = ustar_header("huge.txt", 4) + "text" + std::string(508, '\0');
  const std::string jpeg = testing::jpeg_bytes(8, 8, 2);
  tail += ustar_header("ok.jpg", jpeg.size()) + jpeg + std::string((512 - jpeg.size() % 512) % 512, '\0');
  tail += ustar_header("ok.txt", 2) + "ok" + std::string(510, '\0') + std::string(1024, '\0');
  std::ofstream(dir + "/tail.bin", std::ios::binary) << tail;
  const std::string command = "cat " + dir + "/head.bin; head -c " + std::to_string(kHuge) + " /dev/zero; cat " + dir + "/tail.bin";

  // Reset the peak-RSS mark, read the shard, and see how far the peak moved.
  const bool can_reset = static_cast<bool>(std::ofstream("/proc/self/clear_refs") << "5");
  const long before = peak_rss_kib();
  CHECK(verdicts(command, true, {}) == std::vector<std::string>{"huge:oversized_member", "ok:ok"});
  const long grown_mib = (peak_rss_kib() - before) / 1024;
  INFO("peak RSS grew by " << grown_mib << " MiB (reset of the mark " << (can_reset ? "worked" : "failed") << ")");
  CHECK(grown_mib < 64);
}

TEST_CASE("shard patterns that would expand without bound are refused", "[data][limits][urls]") {
  CHECK_THROWS_WITH(data::expand_braces("s/{0..99999999999}.tar"), Catch::Contains("more than"));
  std::string product = "s";
  for (int i = 0; i < 30; ++i) product += "{a,b}";  // 2^30 names
  CHECK_THROWS_WITH(data::expand_braces(product), Catch::Contains("expands to more than"));
  std::string deep = std::string(200, '{') + "x" + std::string(200, '}');
  CHECK_THROWS_WITH(data::expand_braces(deep), Catch::Contains("nested"));
  CHECK(data::expand_braces("{0..1999}").size() == 2000);  // ordinary patterns are untouched
}
