// While the command server runs a command for this client, the signals this
// process gets go to the command, so that Ctrl-C, Ctrl-Z, `kill` and a
// terminal's hang-up or resize act on it as they would on a cold process.
// Everything here is process-wide (signal dispositions); one served command
// per process.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace sky_native::launcher {

/// Whether a disposition is SIG_IGN.
bool is_ignored(const struct sigaction& action);

/// Installs the forwarding handlers (the dispositions before are saved),
/// except for the signals this process ignores (SIGCONT always forwarded).
/// Until set_forwarding_target, a signal is taken and dropped.
void start_forwarding();

/// The command's pid (and process group): where signals go from now on.
void set_forwarding_target(pid_t command);

/// The command's pid, and no command any more (0 when there was none).
pid_t take_forwarding_target();

/// Restores the dispositions saved by start_forwarding (an ignored SIGHUP
/// under nohup stays ignored). Does nothing when not forwarding.
void stop_forwarding();

/// A signal whose default action ends the process, that arrived when the
/// command had already ended (a zombie not yet reaped by the server, or
/// gone), and whose disposition before forwarding was the default one; 0
/// when none. A cold process gets such a signal while it finalises (after
/// Py_FinalizeEx turned signal handling off) and dies by it; a served
/// command skips the long finalisation, so the client dies by it in its
/// place.
int late_fatal_signal();

/// Ends this process by `signal_number` (its default action), as the
/// command ended; exits 128 + signal_number for a signal whose default is
/// not to end the process.
[[noreturn]] void die_by_signal(int signal_number);

}  // namespace sky_native::launcher
