#include "bench/bench_search.h"

#include <torch/torch.h>

#include "bench/report.h"
#include "core/error.h"
#include "index/vector_index.h"

namespace clipforge::bench {
using Clock = std::chrono::steady_clock;

namespace {

// Rows and queries share the centres (seed 0); `seed` draws the points around them.
std::vector<float> random_unit_rows(int64_t n, int64_t dim, int clusters, uint64_t seed) {
  namespace F = torch::nn::functional;
  torch::Tensor t;
  if (clusters > 0) {
    torch::manual_seed(0);
    const torch::Tensor centres = F::normalize(torch::randn({clusters, dim}), F::NormalizeFuncOptions().dim(1));
    torch::manual_seed(seed);
    // Noise of norm ~0.7 around each unit centre: neighbours are clearly closer than strangers.
    t = centres.index_select(0, torch::randint(clusters, {n})) + torch::randn({n, dim}) * (0.7 / std::sqrt(double(dim)));
  } else {
    torch::manual_seed(seed);
    t = torch::randn({n, dim});
  }
  t = F::normalize(t, F::NormalizeFuncOptions().dim(1)).contiguous();
  return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

// Batched and one-at-a-time latency of `index` over the queries, and recall against `exact`.
nlohmann::json measure(const VectorIndex& index, const std::vector<float>& queries, int64_t nq, int64_t k, const Neighbours* exact) {
  auto start = Clock::now();
  const Neighbours hits = index.search(queries.data(), nq, k);
  const double batch_s = seconds_since(start);
  const int64_t singles = std::min<int64_t>(nq, 100);
  std::vector<double> single_s;
  for (int64_t q = 0; q < singles; ++q) {
    start = Clock::now();
    index.search(queries.data() + q * index.dim(), 1, k);
    single_s.push_back(seconds_since(start));
  }
  nlohmann::json r = {{"batched_ms_per_query", 1e3 * batch_s / double(nq)},
                      {"batched_queries_per_s", double(nq) / batch_s},
                      {"single_query_ms_median", 1e3 * median(single_s)}};
  r["recall_at_k"] = exact ? recall_at_k(*exact, hits) : 1.0;
  return r;
}

}  // namespace

void run_search_benchmark(const SearchBenchOptions& options) {
  if (options.rows <= 0 || options.dim <= 0 || options.queries <= 0 || options.k <= 0)
    throw usage_error("bench search: --rows, --dim, --queries and --k must be positive");
  const std::vector<float> rows = random_unit_rows(options.rows, options.dim, options.clusters, 1);
  const std::vector<float> queries = random_unit_rows(options.queries, options.dim, options.clusters, 2);
  nlohmann::json results = {{"rows", options.rows}, {"dim", options.dim}, {"queries", options.queries}, {"k", options.k},
                            {"data", options.clusters > 0 ? std::to_string(options.clusters) + " clusters" : "uniform"}};

  auto build = [&](IndexSpec spec, nlohmann::json& out) {
    const auto start = Clock::now();
    VectorIndex index = VectorIndex::build(rows.data(), options.rows, options.dim, spec);
    out["build_s"] = seconds_since(start);
    return index;
  };

  nlohmann::json exact_report;
  const VectorIndex exact = build({IndexKind::kExact}, exact_report);
  const Neighbours truth = exact.search(queries.data(), options.queries, options.k);
  exact_report.update(measure(exact, queries, options.queries, options.k, nullptr));
  results["exact"] = exact_report;

  nlohmann::json hnsw_report;
  IndexSpec hnsw_spec{IndexKind::kHnsw};
  VectorIndex hnsw = build(hnsw_spec, hnsw_report);
  hnsw_report["M"] = hnsw_spec.hnsw_m;
  hnsw_report["ef_construction"] = hnsw_spec.hnsw_ef_construction;
  for (int ef : options.ef_search) {
    hnsw.set_search_parameters(ef, 0);
    nlohmann::json r = measure(hnsw, queries, options.queries, options.k, &truth);
    r["ef_search"] = ef;
    hnsw_report["sweep"].push_back(r);
  }
  results["hnsw"] = hnsw_report;

  nlohmann::json ivf_report;
  VectorIndex ivf = build({IndexKind::kIvf}, ivf_report);
  ivf_report["nlist"] = ivf.spec().nlist;
  for (int nprobe : options.nprobe) {
    ivf.set_search_parameters(0, nprobe);
    nlohmann::json r = measure(ivf, queries, options.queries, options.k, &truth);
    r["nprobe"] = ivf.spec().nprobe;
    ivf_report["sweep"].push_back(r);
  }
  results["ivf"] = ivf_report;
  print_report("search", results);
}

}  // namespace clipforge::bench
