// SIGUSR1 asks a training run to checkpoint and stop at the next step: SLURM sends it ahead of a
// time limit or preemption (`#SBATCH --signal=USR1@120`), so the requeued job loses nothing and
// skips the replay since the last periodic checkpoint. The handler only sets a flag; the ranks
// agree on the step through the loss all-reduce they do anyway.
#pragma once

namespace clipforge {

// Installs the handler (idempotent) and clears the flag.
void watch_stop_signal();
// Whether SIGUSR1 arrived since watch_stop_signal().
bool stop_signal_received();

}  // namespace clipforge
