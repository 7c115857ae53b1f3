#include "index/vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/files.h"

namespace clipforge {

namespace {

constexpr int kFormatVersion = 1;
// FAISS's k-means wants at least this many training points per cell; fewer gives poor cells.
constexpr int64_t kMinRowsPerCell = 39;

// Copies `n` rows of `dim` floats, each scaled to unit length; `what` names them in errors.
std::vector<float> unit_rows(const float* data, int64_t n, int64_t dim, const char* what) {
  std::vector<float> out(data, data + n * dim);
  for (int64_t r = 0; r < n; ++r) {
    float* row = out.data() + r * dim;
    double sum = 0;
    for (int64_t c = 0; c < dim; ++c) sum += double(row[c]) * row[c];
    if (!std::isfinite(sum) || sum == 0)
      throw mismatch_error(std::string(what) + " row " + std::to_string(r) + " is " +
                           (sum == 0 ? "all zeros" : "not finite") + ": cannot take its cosine");
    // In double: 1/norm of a row of tiny values overflows a float.
    const double norm = std::sqrt(sum);
    for (int64_t c = 0; c < dim; ++c) row[c] = float(row[c] / norm);
  }
  return out;
}

int default_nlist(int64_t n) {
  const auto by_sqrt = int64_t(std::lround(4 * std::sqrt(double(n))));
  return int(std::max<int64_t>(1, std::min(by_sqrt, n / kMinRowsPerCell)));
}

IndexKind kind_of(const faiss::Index* index) {
  if (index->metric_type != faiss::METRIC_INNER_PRODUCT) throw std::invalid_argument("its metric is not the inner product");
  if (dynamic_cast<const faiss::IndexHNSWFlat*>(index)) return IndexKind::kHnsw;
  if (dynamic_cast<const faiss::IndexIVFFlat*>(index)) return IndexKind::kIvf;
  if (dynamic_cast<const faiss::IndexFlatIP*>(index)) return IndexKind::kExact;
  throw std::invalid_argument("an index type clipforge does not write");
}

IndexKind kind_from_name(const std::string& name, const std::string& file) {
  for (IndexKind kind : {IndexKind::kExact, IndexKind::kHnsw, IndexKind::kIvf})
    if (name == index_kind_name(kind)) return kind;
  throw input_error(file + ": key \"kind\": unknown index kind \"" + name + "\"");
}

// FAISS scans with its own loops below 20 queries; Debian builds those without SIMD, and
// OpenBLAS's matrix product is several times faster even for a single query. A process-wide
// FAISS setting, so it is set once.
void prefer_blas_for_exact_search() {
  static std::once_flag once;
  std::call_once(once, [] { faiss::distance_compute_blas_threshold = 1; });
}

}  // namespace

std::vector<std::string> read_ids(const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const char* index_kind_name(IndexKind kind) {
  switch (kind) {
    case IndexKind::kExact: return "exact";
    case IndexKind::kHnsw: return "hnsw";
    case IndexKind::kIvf: return "ivf";
  }
  return "?";
}

VectorIndex::VectorIndex(std::unique_ptr<faiss::Index> index, IndexSpec spec, int64_t dim)
    : index_(std::move(index)), spec_(spec), dim_(dim) {
  prefer_blas_for_exact_search();
}
VectorIndex::VectorIndex(VectorIndex&&) noexcept = default;
VectorIndex& VectorIndex::operator=(VectorIndex&&) noexcept = default;
VectorIndex::~VectorIndex() = default;

int64_t VectorIndex::size() const { return index_->ntotal; }

VectorIndex VectorIndex::build(const float* rows, int64_t n, int64_t dim, IndexSpec spec) {
  if (n <= 0 || dim <= 0)
    throw mismatch_error("cannot index " + std::to_string(n) + " rows of dimension " + std::to_string(dim));
  const std::vector<float> unit = unit_rows(rows, n, dim, "embedding");
  std::unique_ptr<faiss::Index> index;
  switch (spec.kind) {
    case IndexKind::kExact:
      index = std::make_unique<faiss::IndexFlatIP>(dim);
      break;
    case IndexKind::kHnsw: {
      auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(int(dim), spec.hnsw_m, faiss::METRIC_INNER_PRODUCT);
      hnsw->hnsw.efConstruction = spec.hnsw_ef_construction;
      index = std::move(hnsw);
      break;
    }
    case IndexKind::kIvf: {
      if (spec.nlist <= 0) spec.nlist = default_nlist(n);
      if (spec.nlist > n)
        throw usage_error("--nlist " + std::to_string(spec.nlist) + " is more than the " + std::to_string(n) + " rows");
      if (spec.nprobe <= 0) spec.nprobe = std::max(1, spec.nlist / 8);
      auto ivf = std::make_unique<faiss::IndexIVFFlat>(new faiss::IndexFlatIP(dim), dim, spec.nlist,
                                                       faiss::METRIC_INNER_PRODUCT);
      ivf->own_fields = true;  // the quantiser lives as long as the index
      ivf->cp.seed = 1234;     // reproducible cells
      ivf->verbose = false;
      ivf->train(n, unit.data());
      index = std::move(ivf);
      break;
    }
  }
  index->add(n, unit.data());
  VectorIndex result(std::move(index), spec, dim);
  result.set_search_parameters(spec.ef_search, spec.nprobe);
  return result;
}

void VectorIndex::set_search_parameters(int ef_search, int nprobe) {
  if (ef_search > 0) spec_.ef_search = ef_search;
  if (nprobe > 0) spec_.nprobe = nprobe;
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(index_.get())) hnsw->hnsw.efSearch = spec_.ef_search;
  if (auto* ivf = dynamic_cast<faiss::IndexIVFFlat*>(index_.get())) {
    spec_.nprobe = int(std::min<int64_t>(spec_.nprobe, int64_t(ivf->nlist)));
    ivf->nprobe = size_t(spec_.nprobe);
  }
}

void VectorIndex::save(const std::string& dir, const std::vector<std::string>& ids) const {
  if (int64_t(ids.size()) != size())
    throw mismatch_error("index of " + std::to_string(size()) + " rows given " + std::to_string(ids.size()) + " ids");
  std::string listing;
  for (const auto& id : ids) {
    if (id.find('\n') != std::string::npos) throw mismatch_error("id \"" + id + "\" contains a line break");
    listing += id + "\n";
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw runtime_error(dir + ": cannot create the index folder: " + ec.message());
  // index.json goes first and comes back last: a rebuild interrupted in between leaves a folder
  // that load() refuses, never old metadata over new files.
  std::filesystem::remove(dir + "/index.json", ec);
  faiss::VectorIOWriter writer;
  faiss::write_index(index_.get(), &writer);
  write_file_atomic(dir + "/index.faiss", std::string_view(reinterpret_cast<const char*>(writer.data.data()), writer.data.size()));
  write_file_atomic(dir + "/ids.txt", listing);
  nlohmann::json meta = {{"format", "clipforge-index"}, {"version", kFormatVersion},
                         {"kind", index_kind_name(spec_.kind)}, {"metric", "cosine"},
                         {"dim", dim_}, {"count", size()},
                         {"hnsw_m", spec_.hnsw_m}, {"ef_search", spec_.ef_search},
                         {"nlist", spec_.nlist}, {"nprobe", spec_.nprobe}};
  write_file_atomic(dir + "/index.json", meta.dump(2) + "\n");
}

VectorIndex VectorIndex::load(const std::string& dir) {
  const std::string meta_path = dir + "/index.json";
  if (!file_exists(meta_path)) throw input_error(dir + ": not an index folder (no index.json; build one with `clipforge index build`)");
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(read_file(meta_path));
  } catch (const nlohmann::json::exception& e) {
    throw input_error(meta_path + ": not JSON: " + e.what());
  }
  IndexSpec spec;
  int64_t dim = 0, count = 0;
  try {
    if (meta.at("format") != "clipforge-index") throw input_error(meta_path + ": key \"format\" is not \"clipforge-index\"");
    if (meta.at("version").get<int>() != kFormatVersion)
      throw input_error(meta_path + ": key \"version\": format version " + meta.at("version").dump() + " is not supported");
    spec.kind = kind_from_name(meta.at("kind").get<std::string>(), meta_path);
    dim = meta.at("dim").get<int64_t>();
    count = meta.at("count").get<int64_t>();
    spec.hnsw_m = meta.at("hnsw_m").get<int>();
    spec.ef_search = meta.at("ef_search").get<int>();
    spec.nlist = meta.at("nlist").get<int>();
    spec.nprobe = meta.at("nprobe").get<int>();
  } catch (const nlohmann::json::exception& e) {
    throw input_error(meta_path + ": " + e.what());
  }
  const std::string index_path = dir + "/index.faiss";
  faiss::VectorIOReader reader;
  const std::string bytes = read_file(index_path);
  reader.data.assign(bytes.begin(), bytes.end());
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(&reader));
    if (kind_of(index.get()) != spec.kind) throw std::invalid_argument("its type disagrees with index.json");
  } catch (const std::exception& e) {
    // FAISS reports corrupt files in multi-line messages; the first line names the problem.
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    throw input_error(index_path + ": not a readable FAISS index: " + what);
  }
  if (index->d != dim || index->ntotal != count)
    throw input_error(index_path + ": holds " + std::to_string(index->ntotal) + " rows of dimension " + std::to_string(index->d) +
                      " but index.json says " + std::to_string(count) + " of " + std::to_string(dim));
  VectorIndex result(std::move(index), spec, dim);
  result.ids_ = read_ids(dir + "/ids.txt");
  if (int64_t(result.ids_.size()) != count)
    throw input_error(dir + "/ids.txt: " + std::to_string(result.ids_.size()) + " lines for an index of " + std::to_string(count) + " rows");
  result.set_search_parameters(spec.ef_search, spec.nprobe);
  return result;
}

Neighbours VectorIndex::search(const float* queries, int64_t nq, int64_t k) const {
  Neighbours out;
  out.queries = nq;
  out.k = std::max<int64_t>(0, std::min(k, size()));
  if (nq == 0 || out.k == 0) return out;
  const std::vector<float> unit = unit_rows(queries, nq, dim_, "query");
  out.scores.resize(nq * out.k);
  out.rows.resize(nq * out.k);
  index_->search(nq, unit.data(), out.k, out.scores.data(), out.rows.data());
  for (int64_t i = 0; i < nq * out.k; ++i)
    if (out.rows[i] < 0) out.scores[i] = -std::numeric_limits<float>::infinity();
  return out;
}

double recall_at_k(const Neighbours& exact, const Neighbours& approx) {
  if (exact.queries != approx.queries || exact.k != approx.k)
    throw mismatch_error("recall@k of results with different shapes");
  if (exact.queries == 0 || exact.k == 0) return 1.0;
  int64_t found = 0;
  for (int64_t q = 0; q < exact.queries; ++q) {
    const auto* truth = exact.rows.data() + q * exact.k;
    const auto* got = approx.rows.data() + q * approx.k;
    for (int64_t i = 0; i < exact.k; ++i)
      if (std::find(got, got + approx.k, truth[i]) != got + approx.k) ++found;
  }
  return double(found) / double(exact.queries * exact.k);
}

}  // namespace clipforge
