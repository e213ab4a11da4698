#include "signal_forwarding.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace sky_native::launcher {
namespace {

// The pid (and process group) of the command the server runs for us.
std::atomic<pid_t> g_command{0};

constexpr std::array<int, 9> kForwardedSignals = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGWINCH,
                                                  SIGCONT, SIGUSR1, SIGUSR2, SIGALRM};

// See late_fatal_signal().
std::atomic<int> g_late_signal{0};

bool ends_by_default(int signal_number) {
  return signal_number != SIGWINCH && signal_number != SIGCONT;
}

// Whether the process has ended (zombie or gone); async-signal-safe.
bool has_ended(pid_t pid) {
  char path[48] = "/proc/";
  char digits[16];
  int count = 0;
  for (pid_t rest = pid; rest > 0 && count < 15; rest /= 10) {
    digits[count++] = static_cast<char>('0' + rest % 10);
  }
  std::size_t at = 6;
  while (count > 0) path[at++] = digits[--count];
  std::memcpy(path + at, "/stat", 6);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  char stat[512];
  ssize_t length = ::read(fd, stat, sizeof stat);
  ::close(fd);
  if (length <= 0) return true;
  for (ssize_t i = length - 1; i >= 0; --i) {
    if (stat[i] == ')') return i + 2 < length && (stat[i + 2] == 'Z' || stat[i + 2] == 'X');
  }
  return false;
}

// A signal the terminal sent (Ctrl-C, Ctrl-\, Ctrl-Z, hang-up, resize)
// reached our whole process group under a cold run; it goes to the
// command's group. One sent to this pid goes to the command alone. SIGCONT
// always goes to the group: a shell's `fg` resumes the job with killpg, which
// a handler cannot tell from kill, and what it resumes is the group a
// terminal stop stopped (the command and the processes it started).
void forward_signal(int signal_number, siginfo_t* info, void* /*context*/) {
  int saved = errno;
  pid_t command = g_command.load();
  if (command > 0) {
    bool from_terminal = info != nullptr && info->si_code == SI_KERNEL;
    bool to_group = from_terminal || signal_number == SIGCONT;
    // Late only if the command had ended before the signal was sent: checked
    // after the kill, a command quick to handle it (a prompt's Ctrl-C) could
    // have ended by then, and this process would die by a signal it handled.
    bool late = ends_by_default(signal_number) && has_ended(command);
    ::kill(to_group ? -command : command, signal_number);
    if (late) g_late_signal.store(signal_number);
  }
  errno = saved;
}

// Ctrl-Z: the command stops, then this process stops as it would have
// (the shell sees a stopped job); SIGCONT is forwarded on resume.
void stop_with_command(int signal_number, siginfo_t* info, void* context) {
  int saved = errno;
  forward_signal(signal_number, info, context);
  struct sigaction stop {
  }, previous{};
  stop.sa_handler = SIG_DFL;
  sigemptyset(&stop.sa_mask);
  ::sigaction(signal_number, &stop, &previous);
  sigset_t unblock, old;
  sigemptyset(&unblock);
  sigaddset(&unblock, signal_number);
  ::raise(signal_number);
  ::sigprocmask(SIG_UNBLOCK, &unblock, &old);  // stops here until SIGCONT
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  ::sigaction(signal_number, &previous, nullptr);
  errno = saved;
}

// The dispositions before forwarding (SIGTSTP's last).
std::array<struct sigaction, kForwardedSignals.size() + 1> g_saved{};
bool g_forwarding = false;

// Whether the signal's disposition before forwarding was the default one.
bool was_default(int signal_number) {
  for (std::size_t i = 0; i < kForwardedSignals.size(); ++i) {
    if (kForwardedSignals[i] == signal_number) {
      return (g_saved[i].sa_flags & SA_SIGINFO) == 0 && g_saved[i].sa_handler == SIG_DFL;
    }
  }
  return false;
}

}  // namespace

bool is_ignored(const struct sigaction& action) {
  return (action.sa_flags & SA_SIGINFO) == 0 && action.sa_handler == SIG_IGN;
}

void start_forwarding() {
  g_forwarding = true;
  for (std::size_t i = 0; i < kForwardedSignals.size(); ++i) {
    ::sigaction(kForwardedSignals[i], nullptr, &g_saved[i]);
  }
  ::sigaction(SIGTSTP, nullptr, &g_saved.back());
  struct sigaction action {};
  action.sa_sigaction = forward_signal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < kForwardedSignals.size(); ++i) {
    // An ignored signal stays ignored here, as it is in the command (the
    // request names the signals this process ignores). SIGCONT resumes the
    // command whatever its disposition, so it is forwarded still.
    if (is_ignored(g_saved[i]) && kForwardedSignals[i] != SIGCONT) continue;
    ::sigaction(kForwardedSignals[i], &action, nullptr);
  }
  if (!is_ignored(g_saved.back())) {
    action.sa_sigaction = stop_with_command;
    ::sigaction(SIGTSTP, &action, nullptr);
  }
}

void set_forwarding_target(pid_t command) { g_command.store(command); }

pid_t take_forwarding_target() { return g_command.exchange(0); }

void stop_forwarding() {
  if (!g_forwarding) return;
  g_forwarding = false;
  for (std::size_t i = 0; i < kForwardedSignals.size(); ++i) {
    ::sigaction(kForwardedSignals[i], &g_saved[i], nullptr);
  }
  ::sigaction(SIGTSTP, &g_saved.back(), nullptr);
}

int late_fatal_signal() {
  int late = g_late_signal.load();
  return late != 0 && was_default(late) ? late : 0;
}

[[noreturn]] void die_by_signal(int signal_number) {
  struct sigaction reset {};
  reset.sa_handler = SIG_DFL;
  sigemptyset(&reset.sa_mask);
  ::sigaction(signal_number, &reset, nullptr);
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, signal_number);
  ::sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
  ::raise(signal_number);
  std::_Exit(128 + signal_number);  // a signal whose default is not to end
}

}  // namespace sky_native::launcher
