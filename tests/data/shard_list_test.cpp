// Shard lists as OpenCLIP users write them: braces, "::", pipe: and CSV sources.
#include <catch2/catch.hpp>

#include <fstream>

#include "core/error.h"
#include "data/data_fixtures.h"
#include "data/shard_list.h"

using namespace clipforge;
using data::expand_braces;

TEST_CASE("brace ranges keep zero padding and comma lists multiply", "[data][urls]") {
  CHECK(expand_braces("s/{00000..00003}.tar") ==
        std::vector<std::string>{"s/00000.tar", "s/00001.tar", "s/00002.tar", "s/00003.tar"});
  CHECK(expand_braces("{8..11}") == std::vector<std::string>{"8", "9", "10", "11"});
  CHECK(expand_braces("{08..10}") == std::vector<std::string>{"08", "09", "10"});
  CHECK(expand_braces("{3..1}") == std::vector<std::string>{"3", "2", "1"});
  CHECK(expand_braces("{a,b}-{1..2}") == std::vector<std::string>{"a-1", "a-2", "b-1", "b-2"});
  CHECK(expand_braces("x{a,{b,c}}y") == std::vector<std::string>{"xay", "xby", "xcy"});
  CHECK(expand_braces("plain.tar") == std::vector<std::string>{"plain.tar"});
  CHECK_THROWS_AS(expand_braces("s/{000..009.tar"), Error);
  CHECK_THROWS_AS(expand_braces("s/000}.tar"), Error);
}

TEST_CASE("'::' joins sources and pipe: sources keep their command", "[data][urls]") {
  const auto shards = data::expand_shard_list("a/{0..1}.tar::pipe:cat b/{x,y}.tar::c.tar.gz");
  REQUIRE(shards.size() == 5);
  CHECK(shards[0].location == "a/0.tar");
  CHECK(shards[1].location == "a/1.tar");
  CHECK(shards[2].kind == data::ShardSpec::Kind::kPipe);
  CHECK(shards[2].location == "cat b/x.tar");
  CHECK(shards[3].name == "pipe:cat b/y.tar");
  CHECK(shards[4].kind == data::ShardSpec::Kind::kTarFile);
  CHECK_THROWS_AS(data::expand_shard_list("::"), Error);
  // Found by fuzzing: an empty alternative gave a shard with an empty name.
  const auto with_empty = data::expand_shard_list("{,a.tar}::b.tar");
  REQUIRE(with_empty.size() == 2);
  CHECK(with_empty[0].name == "a.tar");
  CHECK(with_empty[1].name == "b.tar");
}

TEST_CASE("a CSV source reads quoted fields and resolves paths against its folder", "[data][urls][csv]") {
  const std::string dir = testing::fresh_dir("csv_source");
  {
    std::ofstream csv(dir + "/pairs.csv");
    csv << "image_path,caption\n"
           "a.jpg,\"a cat, sitting\"\n"
           "/abs/b.jpg,\"say \"\"hi\"\"\nnext line\"\n"
           "\n"
           "c.jpg,plain\r\n";
  }
  const auto shards = data::expand_shard_list(dir + "/pairs.csv");
  REQUIRE(shards.size() == 1);
  const auto& rows = shards[0].csv->rows;
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].image_path == dir + "/a.jpg");
  CHECK(rows[0].caption == "a cat, sitting");
  CHECK(rows[1].image_path == "/abs/b.jpg");
  CHECK(rows[1].caption == "say \"hi\"\nnext line");
  CHECK(rows[2].caption == "plain");
  CHECK(rows[2].line == 6);
  {
    std::ofstream csv(dir + "/bad.csv");
    csv << "path,text\nx.jpg,y\n";
  }
  CHECK_THROWS_WITH(data::expand_shard_list(dir + "/bad.csv"),
                    dir + "/bad.csv:1: no image column 'image_path' or 'filepath' (--csv-img-key); the header has 'path', 'text'");
}
