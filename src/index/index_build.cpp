#include "index/index_build.h"

#include <chrono>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "core/npy.h"

namespace clipforge {

namespace {
std::vector<std::string> row_names(const std::string& explicit_path, const std::string& embeddings, int64_t rows) {
  const std::string path = !explicit_path.empty() ? explicit_path : embeddings + ".ids.txt";
  if (explicit_path.empty() && !file_exists(path)) {
    std::vector<std::string> numbers;
    for (int64_t r = 0; r < rows; ++r) numbers.push_back(std::to_string(r));
    return numbers;
  }
  const std::vector<std::string> ids = read_ids(path);
  if (int64_t(ids.size()) != rows)
    throw mismatch_error(path + ": " + std::to_string(ids.size()) + " ids for the " + std::to_string(rows) + " rows of " + embeddings);
  return ids;
}
}  // namespace

int64_t run_index_build(const IndexBuildOptions& options, std::ostream& log) {
  if (options.embeddings.empty() || options.out.empty()) throw usage_error("index build: --embeddings and --out are required");
  const npy::FloatMatrix m = npy::read_float_matrix(options.embeddings);
  const std::vector<std::string> ids = row_names(options.ids, options.embeddings, m.rows);
  const auto start = std::chrono::steady_clock::now();
  const VectorIndex index = VectorIndex::build(m.values.data(), m.rows, m.cols, options.spec);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  index.save(options.out, ids);
  const IndexSpec& s = index.spec();
  log << "clipforge: indexed " << m.rows << " rows of dimension " << m.cols << " (" << index_kind_name(s.kind);
  if (s.kind == IndexKind::kHnsw) log << ", M " << s.hnsw_m << ", efSearch " << s.ef_search;
  if (s.kind == IndexKind::kIvf) log << ", " << s.nlist << " lists, nprobe " << s.nprobe;
  log << ") in " << seconds << " s into " << options.out << "\n";
  return m.rows;
}

}  // namespace clipforge
