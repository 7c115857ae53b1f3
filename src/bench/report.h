// The common frame of every benchmark's output: one JSON object per run that says what the
// figures were measured on, so a number is never quoted without its machine.
#pragma once

#include <chrono>
#include <functional>
#include <vector>
#include <nlohmann/json.hpp>
#include <string>

namespace clipforge::bench {

// {"blas": {...}, "cpu": ..., "cores": N, "intra_op_threads": N, "build_type": ..., "libtorch": ...}
nlohmann::json run_environment();

// Prints {"benchmark": name, "environment": run_environment(), "results": results} on stdout.
void print_report(const std::string& name, const nlohmann::json& results);

// Seconds since `start` on the steady clock.
double seconds_since(std::chrono::steady_clock::time_point start);

// Seconds of each of `iterations` timed calls of `fn`, after `warmup` untimed ones.
std::vector<double> time_calls(int warmup, int iterations, const std::function<void()>& fn);
double median(std::vector<double> values);

}  // namespace clipforge::bench
