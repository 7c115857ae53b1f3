// A nearest-neighbour index over L2-normalised embeddings, searched by cosine similarity (inner
// product of unit vectors) with FAISS. Exact (flat) by default; HNSW or IVF when a collection is
// too large to scan per query.
//
// On disk an index is a folder: index.faiss (FAISS's own format), ids.txt (one row name per
// line, in row order) and index.json (kind, dimension, count and search parameters), so
// `clipforge search` needs nothing but the folder.
//
//   VectorIndex index = VectorIndex::build(rows, n, dim, {.kind = IndexKind::kHnsw});
//   index.save("emb.index", ids);
//   Neighbours hits = VectorIndex::load("emb.index").search(query, 1, 10);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace faiss {
struct Index;
}

namespace clipforge {

enum class IndexKind { kExact, kHnsw, kIvf };
const char* index_kind_name(IndexKind kind);  // "exact", "hnsw", "ivf"

struct IndexSpec {
  IndexKind kind = IndexKind::kExact;
  int hnsw_m = 32;                // graph degree
  int hnsw_ef_construction = 40;  // candidate list while building (FAISS default)
  int ef_search = 64;             // candidate list while searching (HNSW)
  int nlist = 0;                  // IVF cells; 0: about 4 sqrt(rows), at least 39 rows per cell
  int nprobe = 0;                 // IVF cells visited per query; 0: nlist / 8, at least 1
};

// Search results, row-major [queries, k]: cosine similarities, best first, and row numbers.
// A query with fewer than k reachable rows gets row -1 and score -inf in the remaining slots.
struct Neighbours {
  int64_t queries = 0;
  int64_t k = 0;
  std::vector<float> scores;
  std::vector<int64_t> rows;
};

class VectorIndex {
 public:
  // `rows` holds n x dim floats. Each row is normalised here (embeddings from `clipforge embed`
  // already are; re-normalising keeps the cosine exact for any other source). Throws
  // mismatch_error for n == 0, dim == 0, or a row that is zero or not finite (naming the row).
  static VectorIndex build(const float* rows, int64_t n, int64_t dim, IndexSpec spec);

  // Reads a folder written by save(); input_error naming the file for anything unreadable or
  // inconsistent (count or dimension that disagree between the files).
  static VectorIndex load(const std::string& dir);

  VectorIndex(VectorIndex&&) noexcept;
  VectorIndex& operator=(VectorIndex&&) noexcept;
  ~VectorIndex();

  // Writes the folder atomically file by file; `ids` must have one entry per row.
  void save(const std::string& dir, const std::vector<std::string>& ids) const;

  // `queries` holds nq x dim floats, normalised here like the rows. k is clamped to the count.
  Neighbours search(const float* queries, int64_t nq, int64_t k) const;

  // Overrides the stored search-time parameters (HNSW efSearch, IVF nprobe); 0 keeps them.
  void set_search_parameters(int ef_search, int nprobe);

  IndexKind kind() const { return spec_.kind; }
  const IndexSpec& spec() const { return spec_; }
  int64_t dim() const { return dim_; }
  int64_t size() const;
  const std::vector<std::string>& ids() const { return ids_; }  // empty unless loaded

 private:
  VectorIndex(std::unique_ptr<faiss::Index> index, IndexSpec spec, int64_t dim);

  std::unique_ptr<faiss::Index> index_;
  IndexSpec spec_;
  int64_t dim_ = 0;
  std::vector<std::string> ids_;
};

// Row names, one per line of `path` (an ids file as `clipforge embed` writes it).
std::vector<std::string> read_ids(const std::string& path);

// Fraction of the exact top-k rows that `approx` also returned, averaged over queries
// (recall@k). Both must have the same shape.
double recall_at_k(const Neighbours& exact, const Neighbours& approx);

}  // namespace clipforge
