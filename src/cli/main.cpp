// The clipforge executable: a table of subcommands over the core library, and the single place
// where errors become one line on stderr and an exit code.
#include <c10/util/Exception.h>

#include <algorithm>
#include <csignal>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "model/runtime.h"

namespace clipforge::cli {
namespace {
GlobalOptions g_options;
}

const GlobalOptions& global_options() { return g_options; }

void apply_thread_settings() { set_compute_threads(g_options.threads); }

}  // namespace clipforge::cli

int main(int argc, char** argv) {
  using namespace clipforge;
  // Over a file-size limit, write() should fail with EFBIG and be reported like a full disk,
  // not kill the process mid-checkpoint.
  std::signal(SIGXFSZ, SIG_IGN);
  keep_large_allocations_on_heap();
  CLI::App app{"clipforge: CLIP training, zero-shot classification and reranking in one native binary"};
  app.require_subcommand(1);
  app.fallthrough();
  auto& options = const_cast<cli::GlobalOptions&>(cli::global_options());
  app.add_option("--threads", options.threads, "compute threads (0 = OMP_NUM_THREADS, else this rank's share of the cores)")->check(CLI::NonNegativeNumber);

  cli::register_info(app);
  cli::register_convert(app);
  cli::register_tokenize(app);
  cli::register_tokenizer(app);
  cli::register_shards(app);
  cli::register_preprocess(app);
  cli::register_datasets(app);
  cli::register_train(app);
  cli::register_plot(app);
  cli::register_zeroshot(app);
  cli::register_embed(app);
  cli::register_score(app);
  cli::register_rerank(app);
  cli::register_eval(app);
  cli::register_index(app);
  cli::register_search(app);
  cli::register_serve(app);
  CLI::App* bench = app.add_subcommand("bench", "benchmarks that print JSON figures and what they ran on");
  bench->require_subcommand(1);
  cli::register_bench_model(*bench);
  cli::register_bench_tokenizer(*bench);
  cli::register_bench_data(*bench);
  cli::register_bench_train(*bench);
  cli::register_bench_inference(*bench);
  cli::register_bench_search(*bench);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every other command-line mistake is a usage error.
    return app.exit(e) == 0 ? 0 : static_cast<int>(ErrorKind::kUsage);
  } catch (const Error& e) {
    std::cerr << "clipforge: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const c10::Error& e) {
    std::string message = e.what_without_backtrace();
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::cerr << "clipforge: error: " << message << "\n";
    return static_cast<int>(ErrorKind::kRuntime);
  } catch (const std::exception& e) {
    std::cerr << "clipforge: error: " << e.what() << "\n";
    return static_cast<int>(ErrorKind::kRuntime);
  }
  return 0;
}
