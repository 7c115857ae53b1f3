// FAISS indexes: exact search equals brute force, approximate search finds most true
// neighbours, folders round-trip, and damaged folders or embeddings are refused by name.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "core/error.h"
#include "core/files.h"
#include "core/npy.h"
#include "index/vector_index.h"
#include "support/reference.h"
#include "support/run_cli.h"

using namespace clipforge;
using testing::run_cli;
using testing::write_text;
namespace fs = std::filesystem;

namespace {

std::vector<float> gaussian_rows(int64_t n, int64_t dim, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n * dim);
  for (auto& x : v) x = normal(rng);
  return v;
}

std::vector<std::string> row_ids(int64_t n) {
  std::vector<std::string> ids;
  for (int64_t i = 0; i < n; ++i) ids.push_back("item" + std::to_string(i));
  return ids;
}

// Top-k rows by cosine, computed the slow obvious way.
std::vector<std::pair<float, int64_t>> brute_force(const std::vector<float>& rows, int64_t dim, const float* query, int64_t k) {
  auto norm = [dim](const float* v) {
    double s = 0;
    for (int64_t c = 0; c < dim; ++c) s += double(v[c]) * v[c];
    return std::sqrt(s);
  };
  std::vector<std::pair<float, int64_t>> scored;
  const double qn = norm(query);
  for (int64_t r = 0; r < int64_t(rows.size()) / dim; ++r) {
    const float* row = rows.data() + r * dim;
    double dot = 0;
    for (int64_t c = 0; c < dim; ++c) dot += double(row[c]) * query[c];
    scored.push_back({float(dot / (norm(row) * qn)), r});
  }
  std::partial_sort(scored.begin(), scored.begin() + k, scored.end(), std::greater<>());
  scored.resize(k);
  return scored;
}

}  // namespace

TEST_CASE("exact search returns the brute-force nearest rows by cosine", "[index]") {
  const int64_t n = 500, dim = 24, nq = 7, k = 5;
  const auto rows = gaussian_rows(n, dim, 1);  // not normalised: the index must do it
  const auto queries = gaussian_rows(nq, dim, 2);
  const VectorIndex index = VectorIndex::build(rows.data(), n, dim, {IndexKind::kExact});
  const Neighbours hits = index.search(queries.data(), nq, k);
  REQUIRE(hits.k == k);
  for (int64_t q = 0; q < nq; ++q) {
    const auto expected = brute_force(rows, dim, queries.data() + q * dim, k);
    for (int64_t j = 0; j < k; ++j) {
      CHECK(hits.rows[q * k + j] == expected[j].second);
      CHECK(hits.scores[q * k + j] == Approx(expected[j].first).margin(1e-5));
    }
  }
  // A row searched for itself is its own nearest neighbour at cosine 1.
  const Neighbours self = index.search(rows.data() + 42 * dim, 1, 1);
  CHECK(self.rows[0] == 42);
  CHECK(self.scores[0] == Approx(1.0).margin(1e-5));
  // k beyond the collection is clamped.
  CHECK(index.search(queries.data(), 1, 10000).k == n);
}

TEST_CASE("approximate indexes find most of the exact neighbours", "[index]") {
  // Low-dimensional data: where HNSW and IVF are meant to work well with default parameters.
  const int64_t n = 3000, dim = 8, nq = 100, k = 10;
  const auto rows = gaussian_rows(n, dim, 3);
  const auto queries = gaussian_rows(nq, dim, 4);
  const Neighbours truth = VectorIndex::build(rows.data(), n, dim, {IndexKind::kExact}).search(queries.data(), nq, k);
  for (IndexKind kind : {IndexKind::kHnsw, IndexKind::kIvf}) {
    SECTION(index_kind_name(kind)) {
      VectorIndex index = VectorIndex::build(rows.data(), n, dim, {kind});
      const double recall = recall_at_k(truth, index.search(queries.data(), nq, k));
      CHECK(recall >= 0.9);
      if (kind == IndexKind::kIvf) {
        CHECK(index.spec().nlist == 3000 / 39);  // 4 sqrt(3000) = 219 cells would hold too few rows
        // Probing every cell is exhaustive: exact up to rounding of near-ties at rank k.
        index.set_search_parameters(0, index.spec().nlist);
        CHECK(recall_at_k(truth, index.search(queries.data(), nq, k)) >= 0.99);
      }
    }
  }
}

TEST_CASE("recall@k counts the true neighbours an approximate result kept", "[index]") {
  Neighbours exact{2, 2, {1, 1, 1, 1}, {0, 1, 2, 3}};
  Neighbours approx{2, 2, {1, 1, 1, 1}, {1, 9, 8, 7}};
  CHECK(recall_at_k(exact, approx) == Approx(0.25));
  CHECK(recall_at_k(exact, exact) == 1.0);
  Neighbours other_shape{1, 2, {1, 1}, {0, 1}};
  CHECK_THROWS_AS(recall_at_k(exact, other_shape), Error);
}

TEST_CASE("an index folder round-trips with its kind, parameters and ids", "[index]") {
  const int64_t n = 400, dim = 16;
  const auto rows = gaussian_rows(n, dim, 5);
  const auto queries = gaussian_rows(3, dim, 6);
  for (IndexKind kind : {IndexKind::kExact, IndexKind::kHnsw, IndexKind::kIvf}) {
    SECTION(index_kind_name(kind)) {
      const std::string dir = testing::temp_dir() + "/index_roundtrip_" + index_kind_name(kind);
      IndexSpec spec{kind};
      spec.ef_search = 20;
      spec.nprobe = 3;
      const VectorIndex built = VectorIndex::build(rows.data(), n, dim, spec);
      built.save(dir, row_ids(n));
      const VectorIndex loaded = VectorIndex::load(dir);
      CHECK(loaded.kind() == kind);
      CHECK(loaded.dim() == dim);
      CHECK(loaded.size() == n);
      CHECK(loaded.spec().ef_search == 20);
      CHECK(loaded.spec().nprobe == 3);
      CHECK(loaded.spec().nlist == built.spec().nlist);
      REQUIRE(loaded.ids().size() == size_t(n));
      CHECK(loaded.ids()[123] == "item123");
      const Neighbours a = built.search(queries.data(), 3, 5), b = loaded.search(queries.data(), 3, 5);
      CHECK(a.rows == b.rows);
      CHECK(a.scores == b.scores);
    }
  }
}

TEST_CASE("bad embeddings and damaged index folders are refused with the file named", "[index]") {
  const int64_t dim = 4;
  std::vector<float> rows = gaussian_rows(10, dim, 7);
  rows[3 * dim + 1] = std::nanf("");
  CHECK_THROWS_WITH(VectorIndex::build(rows.data(), 10, dim, {}), Catch::Contains("row 3") && Catch::Contains("not finite"));
  std::fill(rows.begin() + 3 * dim, rows.begin() + 4 * dim, 0.0f);
  CHECK_THROWS_WITH(VectorIndex::build(rows.data(), 10, dim, {}), Catch::Contains("row 3") && Catch::Contains("zeros"));
  CHECK_THROWS_AS(VectorIndex::build(rows.data(), 0, dim, {}), Error);

  rows = gaussian_rows(10, dim, 8);
  const VectorIndex index = VectorIndex::build(rows.data(), 10, dim, {IndexKind::kHnsw});
  CHECK_THROWS_WITH(index.save(testing::temp_dir() + "/index_few_ids", row_ids(9)), Catch::Contains("9 ids"));
  CHECK_NOTHROW(index.search(rows.data(), 1, 1));
  const std::string dir = testing::temp_dir() + "/index_damaged";
  index.save(dir, row_ids(10));

  SECTION("missing folder") {
    CHECK_THROWS_WITH(VectorIndex::load(dir + "/nowhere"), Catch::Contains("nowhere") && Catch::Contains("index.json"));
  }
  SECTION("truncated FAISS file") {
    const std::string bytes = read_file(dir + "/index.faiss");
    write_file_atomic(dir + "/index.faiss", bytes.substr(0, bytes.size() / 2));
    CHECK_THROWS_WITH(VectorIndex::load(dir), Catch::Contains("index.faiss"));
  }
  SECTION("index.json that disagrees with the index") {
    auto meta = nlohmann::json::parse(read_file(dir + "/index.json"));
    meta["count"] = 11;
    write_file_atomic(dir + "/index.json", meta.dump());
    CHECK_THROWS_WITH(VectorIndex::load(dir), Catch::Contains("index.faiss") && Catch::Contains("11"));
    meta["count"] = 10;
    meta["kind"] = "exact";
    write_file_atomic(dir + "/index.json", meta.dump());
    CHECK_THROWS_WITH(VectorIndex::load(dir), Catch::Contains("disagrees"));
    meta["kind"] = "lsh";
    write_file_atomic(dir + "/index.json", meta.dump());
    CHECK_THROWS_WITH(VectorIndex::load(dir), Catch::Contains("\"kind\"") && Catch::Contains("lsh"));
    meta.erase("kind");
    write_file_atomic(dir + "/index.json", meta.dump());
    CHECK_THROWS_WITH(VectorIndex::load(dir), Catch::Contains("index.json"));
  }
  SECTION("ids file of the wrong length") {
    write_file_atomic(dir + "/ids.txt", "a\nb\n");
    CHECK_THROWS_WITH(VectorIndex::load(dir), Catch::Contains("ids.txt") && Catch::Contains("2 lines"));
  }
}

TEST_CASE("index build and search from the command line", "[index][cli]") {
  const std::string work = testing::temp_dir() + "/index_cli";
  fs::create_directories(work);
  const int64_t n = 50, dim = 8;
  const auto rows = gaussian_rows(n, dim, 9);
  std::vector<std::uint16_t> half;
  for (float x : rows) half.push_back(npy::float_to_half(x));
  npy::write(work + "/emb.npy", npy::Dtype::kFloat16, {n, dim}, half.data());
  std::string ids;
  for (const auto& id : row_ids(n)) ids += id + "\n";
  write_text(work + "/emb.npy.ids.txt", ids);
  // Query: row 7 itself, as float32.
  npy::write(work + "/q.npy", npy::Dtype::kFloat32, {1, dim}, rows.data() + 7 * dim);

  auto r = run_cli("index build --embeddings " + work + "/emb.npy --out " + work + "/idx --approx hnsw");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("50 rows") && Catch::Contains("hnsw"));
  r = run_cli("search --index " + work + "/idx --queries " + work + "/q.npy --k 3 --json");
  REQUIRE(r.exit_code == 0);
  const auto result = nlohmann::json::parse(r.out);
  REQUIRE(result["results"].size() == 3);
  CHECK(result["results"][0]["id"] == "item7");
  CHECK(result["results"][0]["row"] == 7);
  CHECK(result["results"][0]["cosine"].get<double>() == Approx(1.0).margin(1e-3));  // float16 rows

  // Without an ids file rows are named by number.
  fs::remove(work + "/emb.npy.ids.txt");
  REQUIRE(run_cli("index build --embeddings " + work + "/emb.npy --out " + work + "/idx2").exit_code == 0);
  r = run_cli("search --index " + work + "/idx2 --queries " + work + "/q.npy --k 1");
  CHECK_THAT(r.out, Catch::Contains("query: row 0") && Catch::Contains("  7\n"));

  // Bad input: queries of another dimension, a 3-D array, an unknown --approx, no query.
  npy::write(work + "/q4.npy", npy::Dtype::kFloat32, {1, 4}, rows.data());
  r = run_cli("search --index " + work + "/idx --queries " + work + "/q4.npy");
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Catch::Contains("8-d") && Catch::Contains("4-d"));
  npy::write(work + "/cube.npy", npy::Dtype::kFloat32, {2, 2, 2}, rows.data());
  r = run_cli("index build --embeddings " + work + "/cube.npy --out " + work + "/idx3");
  CHECK(r.exit_code == 4);
  CHECK_THAT(r.err, Catch::Contains("cube.npy") && Catch::Contains("3-D"));
  CHECK(run_cli("index build --embeddings " + work + "/emb.npy --out " + work + "/idx3 --approx lsh").exit_code == 2);
  CHECK(run_cli("search --index " + work + "/idx").exit_code == 2);
  CHECK(run_cli("search --index " + work + "/idx --text hello").exit_code == 2);  // text needs --weights
}
