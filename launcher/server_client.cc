#include "server_client.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "sky/common/errors.h"
#include "sky/common/posix.h"
#include "sky/runtime/server/key.h"
#include "sky/runtime/server/protocol.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX

namespace sky_native::launcher {
namespace {

namespace server = sky::core::server;

// The server process's program (modules/python/server.py): each command's
// child runs the cold program (kSkyCliProgram in launcher.cc) there. It gets
// the key material on fd 3 and the socket directory, opened and checked by
// the client, on fd 4.
constexpr const char* kServeProgram =
    "import sys\nimport sky_native._cli as _cli\n_cli.drop_program_directory()\n"
    "import sky_native._server as _server\n_server.serve(sys.argv[3])\n";
constexpr int kMaterialFd = 3;
constexpr int kDirectoryFd = 4;

// Exit code of a client whose server went away mid-command.
constexpr int kServerLostExit = 255;

// The pid (and process group) of the command the server runs for us.
std::atomic<pid_t> g_command{0};

constexpr std::array<int, 9> kForwardedSignals = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGWINCH,
                                                  SIGCONT, SIGUSR1, SIGUSR2, SIGALRM};

// A signal whose default action ends the process, forwarded when the command
// had already ended (a zombie not yet reaped by the server, or gone). A cold
// process gets such a signal while it finalises (after Py_FinalizeEx turned
// signal handling off) and dies by it; a served command skips the long
// finalisation, so the client dies by it in its place.
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
    ::kill(to_group ? -command : command, signal_number);
    if (ends_by_default(signal_number) && has_ended(command)) g_late_signal.store(signal_number);
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

// The dispositions before forwarding, restored for a cold run (an ignored
// SIGHUP under nohup stays ignored).
std::array<struct sigaction, kForwardedSignals.size() + 1> g_saved{};
bool g_forwarding = false;

void install_forwarding() {
  g_forwarding = true;
  for (std::size_t i = 0; i < kForwardedSignals.size(); ++i) {
    ::sigaction(kForwardedSignals[i], nullptr, &g_saved[i]);
  }
  ::sigaction(SIGTSTP, nullptr, &g_saved.back());
  struct sigaction action {};
  action.sa_sigaction = forward_signal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int signal_number : kForwardedSignals) ::sigaction(signal_number, &action, nullptr);
  action.sa_sigaction = stop_with_command;
  ::sigaction(SIGTSTP, &action, nullptr);
}

// Whether the signal's disposition before forwarding was the default one.
bool was_default(int signal_number) {
  for (std::size_t i = 0; i < kForwardedSignals.size(); ++i) {
    if (kForwardedSignals[i] == signal_number) {
      return (g_saved[i].sa_flags & SA_SIGINFO) == 0 && g_saved[i].sa_handler == SIG_DFL;
    }
  }
  return false;
}

void restore_signals() {
  if (!g_forwarding) return;
  g_forwarding = false;
  for (std::size_t i = 0; i < kForwardedSignals.size(); ++i) {
    ::sigaction(kForwardedSignals[i], &g_saved[i], nullptr);
  }
  ::sigaction(SIGTSTP, &g_saved.back(), nullptr);
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

// SKY_NATIVE_SERVER_LOG names a file that gets one line per sky command:
// how the server was (or was not) used. For tests and diagnosis only.
void trace(const std::string& line) {
  const char* path = std::getenv("SKY_NATIVE_SERVER_LOG");
  if (path == nullptr || path[0] == '\0') return;
  int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string text = line + "\n";
  ssize_t ignored = ::write(fd, text.data(), text.size());
  (void)ignored;
  ::close(fd);
}

// What the client knows of the interpreter it would start: this binary's
// identity (a rebuilt or replaced binary is another key), the paths CPython
// computes prefixes and sys.path[0] from, and the credentials a command
// forked by the server would have instead of the client's (ids, groups,
// capabilities, no_new_privs, seccomp, LSM label). Throws OsError when the
// credentials cannot be read.
std::vector<std::string> identity(const LaunchPlan& plan) {
  std::string exe = sky::core::self_exe();
  struct stat st {};
  ::stat(exe.c_str(), &st);
  std::vector<std::string> lines = {
      "sky-native-server 2", "exe=" + exe,
      "exe-stat=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
          std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
          std::to_string(st.st_mtim.tv_nsec),
      "executable=" + plan.executable, "path-config=" + plan.path_config_executable.value_or("")};
  std::vector<std::string> credentials = server::read_credentials("/proc/self");
  lines.insert(lines.end(), credentials.begin(), credentials.end());
  return lines;
}

std::vector<std::string> environment_entries() {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) entries.emplace_back(*entry);
  return entries;
}

// The socket directory (checked and open), the key and its socket's name.
struct Endpoint {
  server::SocketDirectory directory;
  std::string name;  // the key's name: NAME.sock, NAME.lock, NAME.log
  std::string material;

  std::string socket_name() const { return name + ".sock"; }
  std::string socket_path() const { return directory.path + "/" + socket_name(); }
};

// The endpoint of this invocation; nullopt and the reason in `why` when no
// server may be used: the runtime or socket directory fails the trust rule,
// or the credentials cannot be read.
std::optional<Endpoint> endpoint_for(const LaunchPlan& plan, std::string* why) {
  server::SocketDirectory directory =
      server::socket_directory(std::getenv("XDG_RUNTIME_DIR"), ::geteuid());
  if (!directory.directory.ok()) {
    *why = "untrusted socket directory: " + directory.directory.reason();
    return std::nullopt;
  }
  std::string material;
  try {
    material = server::key_material(identity(plan), environment_entries());
  } catch (const sky::core::OsError& error) {
    *why = std::string("credentials: ") + error.what();
    return std::nullopt;
  }
  std::string name = server::key_name(material);
  return Endpoint{std::move(directory), std::move(name), std::move(material)};
}

// A connection to a server of this user, or why there is none.
struct Connection {
  int fd = -1;
  bool foreign = false;  // something listens there, run by another user
  std::string why;
};

// Connects to the socket `name` in `directory` and checks who listens
// there (SO_PEERCRED) before a byte is sent.
Connection connect_to_server(const server::SocketDirectory& directory, const std::string& name) {
  Connection connection;
  connection.fd = server::connect_unix_at(directory.directory.fd(), name);
  if (connection.fd < 0) {
    connection.why = std::string("no server (") + std::strerror(errno) + ")";
    return connection;
  }
  std::optional<unsigned> uid = server::peer_uid(connection.fd);
  if (!uid || *uid != ::geteuid()) {
    ::close(connection.fd);
    connection.fd = -1;
    connection.foreign = true;
    connection.why =
        "foreign server: " + name + " is served by uid " + (uid ? std::to_string(*uid) : "unknown");
  }
  return connection;
}

// Starts a detached server for this key (its own session, stdio to a fresh
// log beside the socket) and returns at once; the key material goes on fd 3
// and the socket directory on fd 4.
void spawn_server(const LaunchPlan& plan, const Endpoint& endpoint) {
  int material_pipe[2];
  if (::pipe2(material_pipe, O_CLOEXEC) != 0) return;
  pid_t middle = ::fork();
  if (middle == 0) {
    ::setsid();
    if (::fork() != 0) std::_Exit(0);
    const sky::core::TrustedDirectory& directory = endpoint.directory.directory;
    int null_fd = ::open("/dev/null", O_RDONLY);
    // A fresh file: whatever has the log's name (a link included) is
    // removed, not followed or truncated.
    std::string log_name = endpoint.name + ".log";
    ::unlinkat(directory.fd(), log_name.c_str(), 0);
    int log_fd = directory.open_file(log_name, O_WRONLY | O_CREAT | O_EXCL);
    if (null_fd < 0 || log_fd < 0) std::_Exit(127);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    // Copied above 4 first, so that neither lands on the other's number;
    // dup2 then clears close-on-exec.
    int material = ::fcntl(material_pipe[0], F_DUPFD_CLOEXEC, kDirectoryFd + 1);
    int socket_dir = ::fcntl(directory.fd(), F_DUPFD_CLOEXEC, kDirectoryFd + 1);
    if (material < 0 || socket_dir < 0 || ::dup2(material, kMaterialFd) != kMaterialFd ||
        ::dup2(socket_dir, kDirectoryFd) != kDirectoryFd) {
      std::_Exit(127);
    }
    for (int fd = kDirectoryFd + 1; fd < 1024; ++fd) ::close(fd);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
      ::signal(signal_number, SIG_DFL);
    }
    std::string exe = sky::core::self_exe();
    std::vector<std::string> args = {plan.executable, kNativeServerFlag, "serve",
                                     endpoint.socket_path()};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    std::_Exit(127);
  }
  ::close(material_pipe[0]);
  if (middle > 0) {
    const std::string& material = endpoint.material;
    sky::core::write_all(material_pipe[1], material.data(), material.size());
    int status = 0;
    sky::core::retry_on_eintr([&] { return ::waitpid(middle, &status, 0); });
  }
  ::close(material_pipe[1]);
}

bool stdio_is_open() {
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) return false;
  }
  return true;
}

bool has_controlling_terminal() {
  int fd = ::open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// This process's resource limits (`ulimit`), "resource:soft:hard" joined by
// commas, RLIM_INFINITY as its unsigned value: the command gets them.
std::string resource_limits() {
  std::string limits;
  for (int resource = 0; resource < RLIM_NLIMITS; ++resource) {
    struct rlimit limit {};
    if (::getrlimit(resource, &limit) != 0) continue;
    if (!limits.empty()) limits += ',';
    limits += std::to_string(resource) + ":" + std::to_string(limit.rlim_cur) + ":" +
              std::to_string(limit.rlim_max);
  }
  return limits;
}

// This process's nice value (`nice sky-native ...`): the command's too.
int niceness() {
  errno = 0;
  int value = ::getpriority(PRIO_PROCESS, 0);
  return errno == 0 ? value : 0;
}

enum class Attempt { kServed, kNoServer, kMismatchRespawn, kMismatch, kForeign };

struct AttemptResult {
  Attempt attempt = Attempt::kNoServer;
  int exit_code = 0;
};

// Offers the command to the server at the endpoint and, when it takes it,
// waits for its end, forwarding signals.
AttemptResult offer(const Endpoint& endpoint, const std::vector<std::string>& argv) {
  Connection connected = connect_to_server(endpoint.directory, endpoint.socket_name());
  if (connected.fd < 0) {
    trace("miss: " + connected.why);
    return {connected.foreign ? Attempt::kForeign : Attempt::kNoServer};
  }
  int connection = connected.fd;
  int cwd_fd = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  std::string cwd = sky::core::current_dir();
  if (cwd_fd < 0 || cwd.empty()) {
    if (cwd_fd >= 0) ::close(cwd_fd);
    ::close(connection);
    trace("miss: no working directory");
    return {Attempt::kMismatch};
  }
  mode_t mask = ::umask(0);
  ::umask(mask);
  char octal[16];
  std::snprintf(octal, sizeof octal, "%o", static_cast<unsigned>(mask));
  server::Message request{'R',
                          {endpoint.material, cwd, octal, resource_limits(),
                           std::to_string(niceness()), std::to_string(argv.size())}};
  request.fields.insert(request.fields.end(), argv.begin(), argv.end());
  std::vector<std::string> env = environment_entries();
  request.fields.insert(request.fields.end(), env.begin(), env.end());

  AttemptResult result;
  try {
    // Forwarding is ready before the command can exist.
    install_forwarding();
    server::send_message(connection, request, {0, 1, 2, cwd_fd});
    ::close(cwd_fd);
    cwd_fd = -1;
    bool started = false;
    while (true) {
      std::optional<server::Message> reply = server::receive_message(connection);
      if (!reply) {
        if (!started) {
          // Refused or gone before it took the command: run it here.
          trace("miss: server closed the connection");
          result.attempt = Attempt::kNoServer;
          break;
        }
        throw std::runtime_error("connection closed");
      }
      if (reply->type == 'M' && !started) {
        std::string reason = reply->fields.empty() ? "" : reply->fields[0];
        bool respawn = reply->fields.size() > 1 && reply->fields[1] == "1";
        trace("miss: mismatch " + reason);
        result.attempt = respawn ? Attempt::kMismatchRespawn : Attempt::kMismatch;
        break;
      }
      if (reply->type == 'P' && !started && reply->fields.size() == 1) {
        g_command.store(static_cast<pid_t>(std::stol(reply->fields[0])));
        started = true;
        trace("hit");
        continue;
      }
      if ((reply->type == 'X' || reply->type == 'K') && started && reply->fields.size() == 1) {
        int value = std::stoi(reply->fields[0]);
        ::close(connection);
        if (reply->type == 'K') die_by_signal(value);
        int late = g_late_signal.load();
        if (late != 0 && was_default(late)) die_by_signal(late);
        result.attempt = Attempt::kServed;
        result.exit_code = value;
        return result;
      }
      throw std::runtime_error("unexpected reply");
    }
  } catch (const std::exception& error) {
    pid_t command = g_command.exchange(0);
    if (command <= 0) {
      if (cwd_fd >= 0) ::close(cwd_fd);
      ::close(connection);
      trace(std::string("miss: ") + error.what());
      return {Attempt::kNoServer};
    }
    // The server died while the command ran: nobody can report its end
    // any more, so it ends here too.
    ::kill(command, SIGKILL);
    ::close(connection);
    std::fputs("sky-native: the command server exited while running this command\n", stderr);
    trace("lost: server exited");
    return {Attempt::kServed, kServerLostExit};
  }
  if (cwd_fd >= 0) ::close(cwd_fd);
  ::close(connection);
  return result;
}

// `--native-server status` and `stop`: every server of this user.
int manage(const LaunchPlan& plan, const std::string& action) {
  if (action != "status" && action != "stop") {
    std::fprintf(stderr, "usage: sky-native %s status|stop\n", kNativeServerFlag);
    return 2;
  }
  std::string why;
  std::optional<Endpoint> own = endpoint_for(plan, &why);
  if (!own) {
    std::fprintf(stderr, "sky-native: no command server: %s\n", why.c_str());
    return 1;
  }
  int listing = ::fcntl(own->directory.directory.fd(), F_DUPFD_CLOEXEC, 0);
  DIR* directory = listing < 0 ? nullptr : ::fdopendir(listing);
  if (directory == nullptr) {
    if (listing >= 0) ::close(listing);
    return 1;
  }
  std::vector<std::string> sockets;
  while (dirent* entry = ::readdir(directory)) {
    std::string name = entry->d_name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".sock") == 0) sockets.push_back(name);
  }
  ::closedir(directory);
  bool own_running = false;
  for (const std::string& name : sockets) {
    Connection connection = connect_to_server(own->directory, name);
    if (connection.fd < 0) continue;
    std::optional<server::Message> reply;
    try {
      server::send_message(connection.fd, {action == "stop" ? 'Q' : 'S', {}});
      reply = server::receive_message(connection.fd);
    } catch (const std::exception&) {
      reply.reset();
    }
    ::close(connection.fd);
    if (!reply || reply->type != 'I' || reply->fields.empty()) continue;
    bool own_key = name == own->socket_name();
    own_running = own_running || own_key;
    std::printf("%s/%s: %s%s\n", own->directory.path.c_str(), name.c_str(),
                reply->fields[0].c_str(), own_key ? " (this environment)" : "");
  }
  if (action == "status" && !own_running) {
    std::printf("no server for this environment (%s)\n", own->socket_path().c_str());
  }
  return 0;
}

}  // namespace

bool server_enabled(const char* setting) {
  return setting != nullptr && std::strcmp(setting, "1") == 0;
}

bool needs_controlling_terminal(const std::vector<std::string>& args) {
  std::vector<std::string> words;
  for (const std::string& arg : args) {
    if (arg.empty() || arg[0] == '-') {
      if (words.empty()) continue;
      break;
    }
    words.push_back(arg);
    if (words.size() == 2) break;
  }
  if (words.empty()) return false;
  const std::string& first = words[0];
  if (first == "launch" || first == "exec" || first == "start" || first == "ssh") return true;
  if (words.size() < 2) return false;
  return (first == "jobs" && words[1] == "launch") ||
         (first == "serve" && (words[1] == "up" || words[1] == "update"));
}

std::optional<int> handle_with_server(LaunchPlan& plan, const std::vector<std::string>& argv) {
  if (plan.mode != Mode::kSkyCli) return std::nullopt;
  if (argv.size() >= 2 && argv[1] == kNativeServerFlag) {
    if (argv.size() == 4 && argv[2] == "serve") {
      plan.argv = {plan.executable, argv[1], argv[2], argv[3]};
      plan.run_command = kServeProgram;
      return std::nullopt;
    }
    return manage(plan, argv.size() >= 3 ? argv[2] : "");
  }
  if (!server_enabled(std::getenv("SKY_NATIVE_SERVER"))) return std::nullopt;
  if (!stdio_is_open()) {
    trace("cold: stdio not open");
    return std::nullopt;
  }
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  if (needs_controlling_terminal(args) && has_controlling_terminal()) {
    trace("cold: needs the controlling terminal");
    return std::nullopt;
  }
  std::string why;
  std::optional<Endpoint> endpoint = endpoint_for(plan, &why);
  if (!endpoint) {
    trace("off: " + why);
    return std::nullopt;
  }
  AttemptResult result = offer(*endpoint, argv);
  restore_signals();
  switch (result.attempt) {
    case Attempt::kServed:
      return result.exit_code;
    case Attempt::kNoServer:
    case Attempt::kMismatchRespawn:
      spawn_server(plan, *endpoint);
      return std::nullopt;
    case Attempt::kMismatch:
    case Attempt::kForeign:  // whoever put it there keeps it; no server of ours
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace sky_native::launcher
