#include "serve/stop_signals.h"

#include <signal.h>

#include <atomic>

namespace clipforge::serve {

namespace {
std::atomic<int> g_signal{0};
void on_stop_signal(int signal) { g_signal = signal; }
}  // namespace

void watch_stop_signals() {
  g_signal = 0;
  struct sigaction action = {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

int stop_signal_received() { return g_signal.load(); }

}  // namespace clipforge::serve
