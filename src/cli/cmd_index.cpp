// `clipforge index build` and `clipforge search`: FAISS nearest-neighbour search over embeddings.
#include <iostream>

#include "cli/commands.h"
#include "eval/search.h"
#include "index/index_build.h"

namespace clipforge::cli {

void register_index(CLI::App& app) {
  auto options = std::make_shared<IndexBuildOptions>();
  auto approx = std::make_shared<std::string>();
  auto* index = app.add_subcommand("index", "nearest-neighbour indexes over embeddings");
  index->require_subcommand(1);
  auto* build = index->add_subcommand("build", "index an embeddings .npy for cosine search (exact unless --approx)");
  build->add_option("--embeddings", options->embeddings, "[rows, dim] float32/float16 .npy (from `clipforge embed`)")->required();
  build->add_option("--ids", options->ids, "row names, one per line (default <embeddings>.ids.txt if present, else row numbers)");
  build->add_option("--out", options->out, "index folder")->required();
  build->add_option("--approx", *approx, "approximate index for large collections: hnsw or ivf")
      ->check(CLI::IsMember({"hnsw", "ivf"}));
  build->add_option("--hnsw-m", options->spec.hnsw_m, "HNSW graph degree")->capture_default_str()->check(CLI::Range(4, 256));
  build->add_option("--ef-construction", options->spec.hnsw_ef_construction, "HNSW build candidate list")
      ->capture_default_str()->check(CLI::PositiveNumber);
  build->add_option("--ef-search", options->spec.ef_search, "HNSW search candidate list (stored, overridable in search)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  build->add_option("--nlist", options->spec.nlist, "IVF cells (default about 4 sqrt(rows))")->check(CLI::PositiveNumber);
  build->add_option("--nprobe", options->spec.nprobe, "IVF cells searched per query (default nlist/8)")->check(CLI::PositiveNumber);
  build->callback([options, approx] {
    apply_thread_settings();
    options->spec.kind = approx->empty() ? IndexKind::kExact : *approx == "hnsw" ? IndexKind::kHnsw : IndexKind::kIvf;
    run_index_build(*options, std::cerr);
  });
}

void register_search(CLI::App& app) {
  auto options = std::make_shared<SearchOptions>();
  auto* cmd = app.add_subcommand("search", "nearest neighbours of texts, images or query embeddings in an index");
  add_encoder_options(cmd, options->encoder, /*weights_required=*/false);
  cmd->add_option("--index", options->index, "index folder from `clipforge index build`")->required();
  auto* text = cmd->add_option("--text", options->texts, "query text (repeatable)");
  auto* image = cmd->add_option("--image", options->images, "query image files or folders (repeatable)");
  auto* queries = cmd->add_option("--queries", options->queries, "[n, dim] .npy of query embeddings (no model needed)");
  text->excludes(image, queries);
  image->excludes(queries);
  cmd->add_option("--k", options->k, "neighbours per query")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--ef-search", options->ef_search, "HNSW candidate list (default: the index's)")->check(CLI::PositiveNumber);
  cmd->add_option("--nprobe", options->nprobe, "IVF cells searched (default: the index's)")->check(CLI::PositiveNumber);
  cmd->add_flag("--json", options->json, "one JSON object per query: {\"query\", \"results\": [{rank, id, row, cosine}]}");
  cmd->callback([options] {
    apply_thread_settings();
    run_search(*options, std::cout, std::cerr);
  });
}

}  // namespace clipforge::cli
