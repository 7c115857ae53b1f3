#include "train/stop_signal.h"

#include <csignal>

namespace clipforge {
namespace {

volatile std::sig_atomic_t received = 0;

void on_signal(int) { received = 1; }

}  // namespace

void watch_stop_signal() {
  received = 0;
  struct sigaction action = {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: a read or wait in progress (data workers, the store) continues instead of failing.
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &action, nullptr);
}

bool stop_signal_received() { return received != 0; }

}  // namespace clipforge
