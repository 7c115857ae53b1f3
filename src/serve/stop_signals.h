// SIGTERM and SIGINT as a request to stop `clipforge serve` gracefully, polled by its stopper
// thread. A handler rather than a blocked mask and sigwait: threads the libraries started before
// the server (OpenBLAS starts its pool when loaded) do not block the signals, and the kernel may
// deliver one to any of them.
#pragma once

namespace clipforge::serve {

// Installs the handler and clears the record.
void watch_stop_signals();
// The signal number that arrived since, or 0.
int stop_signal_received();

}  // namespace clipforge::serve
