#include "server_client.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server_spawn.h"
#include "signal_forwarding.h"
#include "sky/common/errors.h"
#include "sky/common/posix.h"
#include "sky/runtime/server/key.h"
#include "sky/runtime/server/protocol.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX

namespace sky_native::launcher {
namespace {

namespace server = sky::core::server;
using server::MessageKind;

// Exit code of a client whose server went away mid-command.
constexpr int kServerLostExit = 255;

// SKY_NATIVE_SERVER_LOG names a file that gets one line per command a
// server could run: how the server was (or was not) used. For tests and
// diagnosis only.
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

// What a server runs for this invocation: SkyPilot's CLI in sky mode when
// SKY_NATIVE_SERVER=1; in Python mode, the served module (the managed-job
// controller) unless SKY_NATIVE_ZYGOTE turns the API server's preloaded
// children off. A module's server is keyed by the whole environment: its
// commands are SkyPilot's own children, whose environment (the API
// server's, plus what the controller's shell exports) any of its modules
// may read at import; it runs with `-u`, so its server's stdio are made
// unbuffered (a command keeps the server's); and it lives long, so it waits
// for a server rather than run cold (offer_when_ready).
struct ServedProgram {
  std::string line;     // the key material's program line
  bool module = false;  // the served module, not the CLI
};

std::optional<ServedProgram> served_program(const LaunchPlan& plan,
                                            const std::vector<std::string>& argv) {
  if (plan.mode == Mode::kSkyCli) {
    if (!server_enabled(std::getenv("SKY_NATIVE_SERVER"))) return std::nullopt;
    return ServedProgram{server::kCliProgramLine};
  }
  if (plan.mode != Mode::kPython || !zygote_enabled(std::getenv("SKY_NATIVE_ZYGOTE"))) {
    return std::nullopt;
  }
  std::optional<std::string> module =
      served_module(std::vector<std::string>(argv.begin() + 1, argv.end()));
  if (!module) return std::nullopt;
  return ServedProgram{server::kModuleProgramPrefix + *module, true};
}

// What the client knows of the interpreter it would start: the program,
// this binary's identity (a rebuilt or replaced binary is another key), the
// paths CPython computes prefixes and sys.path[0] from, and the credentials
// a command forked by the server would have instead of the client's (ids,
// groups, capabilities, no_new_privs, seccomp, LSM label). Throws OsError
// when the credentials cannot be read.
std::vector<std::string> identity(const LaunchPlan& plan, const ServedProgram& program) {
  std::string exe = sky::core::self_exe();
  struct stat st {};
  ::stat(exe.c_str(), &st);
  std::vector<std::string> lines = {
      "sky-native-server 3",
      program.line,
      "exe=" + exe,
      "exe-stat=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
          std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
          std::to_string(st.st_mtim.tv_nsec),
      "executable=" + plan.executable,
      "path-config=" + plan.path_config_executable.value_or("")};
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
std::optional<Endpoint> endpoint_for(const LaunchPlan& plan, const ServedProgram& program,
                                     std::string* why) {
  server::SocketDirectory directory =
      server::socket_directory(std::getenv("XDG_RUNTIME_DIR"), ::geteuid());
  if (!directory.directory.ok()) {
    *why = "untrusted socket directory: " + directory.directory.reason();
    return std::nullopt;
  }
  std::string material;
  try {
    material = server::key_material(identity(plan, program), environment_entries(), program.module);
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

// The signals this process ignores (a cold process inherits them ignored)
// and those it blocks (its signal mask), as decimal numbers joined by commas.
std::string signal_list(const std::function<bool(int)>& member) {
  std::string list;
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
    if (!member(signal_number)) continue;
    if (!list.empty()) list += ',';
    list += std::to_string(signal_number);
  }
  return list;
}

std::string ignored_signals() {
  return signal_list([](int signal_number) {
    struct sigaction action {};
    return ::sigaction(signal_number, nullptr, &action) == 0 && is_ignored(action);
  });
}

std::string blocked_signals() {
  sigset_t mask;
  sigemptyset(&mask);
  ::sigprocmask(SIG_BLOCK, nullptr, &mask);
  return signal_list([&mask](int signal_number) { return sigismember(&mask, signal_number) == 1; });
}

enum class Attempt { kServed, kNoServer, kMismatchRespawn, kMismatch, kForeign };

struct AttemptResult {
  Attempt attempt = Attempt::kNoServer;
  int exit_code = 0;
};

// Offers the command to the server at the endpoint and, when it takes it,
// waits for its end, forwarding signals.
// Offers the command on a connection to the server of `endpoint` and, when
// it takes it, waits for its end, forwarding signals.
AttemptResult exchange(int connection, const Endpoint& endpoint,
                       const std::vector<std::string>& argv) {
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
  // The fields in the order of server::RequestField.
  server::Message request{
      MessageKind::kRequest,
      {endpoint.material, cwd, octal, resource_limits(), std::to_string(niceness()),
       ignored_signals(), blocked_signals(), std::to_string(argv.size())}};
  request.fields.insert(request.fields.end(), argv.begin(), argv.end());
  std::vector<std::string> env = environment_entries();
  request.fields.insert(request.fields.end(), env.begin(), env.end());

  AttemptResult result;
  try {
    // Forwarding is ready before the command can exist.
    start_forwarding();
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
      if (reply->kind == MessageKind::kMismatch && !started) {
        std::string reason = reply->fields.empty() ? "" : reply->fields[0];
        bool respawn = reply->fields.size() > 1 && reply->fields[1] == server::kRespawn;
        trace("miss: mismatch " + reason);
        result.attempt = respawn ? Attempt::kMismatchRespawn : Attempt::kMismatch;
        break;
      }
      if (reply->kind == MessageKind::kStarted && !started && reply->fields.size() == 1) {
        set_forwarding_target(static_cast<pid_t>(std::stol(reply->fields[0])));
        started = true;
        trace("hit");
        continue;
      }
      bool ended = reply->kind == MessageKind::kExited || reply->kind == MessageKind::kKilled;
      if (ended && started && reply->fields.size() == 1) {
        int value = std::stoi(reply->fields[0]);
        ::close(connection);
        if (reply->kind == MessageKind::kKilled) die_by_signal(value);
        if (int late = late_fatal_signal()) die_by_signal(late);
        result.attempt = Attempt::kServed;
        result.exit_code = value;
        return result;
      }
      throw std::runtime_error("unexpected reply");
    }
  } catch (const std::exception& error) {
    pid_t command = take_forwarding_target();
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

// Offers the command to the server at the endpoint, if one listens.
AttemptResult offer(const Endpoint& endpoint, const std::vector<std::string>& argv) {
  Connection connected = connect_to_server(endpoint.directory, endpoint.socket_name());
  if (connected.fd < 0) {
    trace("miss: " + connected.why);
    return {connected.foreign ? Attempt::kForeign : Attempt::kNoServer};
  }
  return exchange(connected.fd, endpoint, argv);
}

// Whether a server process holds the key's lock, as it does from just after
// its start until it exits: /proc/locks shows a FLOCK on the lock file's
// device and inode.
bool server_holds_lock(const Endpoint& endpoint) {
  struct stat st {};
  std::string lock = endpoint.name + ".lock";
  if (::fstatat(endpoint.directory.directory.fd(), lock.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return false;
  }
  std::optional<std::string> locks = sky::core::read_whole_file("/proc/locks");
  if (!locks) return false;
  char file[64];
  std::snprintf(file, sizeof file, " %02x:%02x:%llu ", major(st.st_dev), minor(st.st_dev),
                static_cast<unsigned long long>(st.st_ino));
  std::size_t start = 0;
  while (start < locks->size()) {
    std::size_t end = std::min(locks->find('\n', start), locks->size());
    std::string_view line(locks->data() + start, end - start);
    if (line.find(" FLOCK ") != std::string_view::npos &&
        line.find(file) != std::string_view::npos) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

// A served module is a long-lived process (the managed-job controller): run
// cold, it would carry its own import for its whole life, and SkyPilot
// starts a dozen at once, before any server exists. So it waits for the
// server it (or a client beside it) just started, as long as a server
// process holds the key's lock (after kLockGrace for the one started to take
// it), at most kServerWait, and then runs cold.
constexpr auto kLockGrace = std::chrono::seconds(10);
constexpr auto kServerWait = std::chrono::seconds(300);
constexpr auto kPoll = std::chrono::milliseconds(100);

AttemptResult offer_when_ready(const Endpoint& endpoint, const std::vector<std::string>& argv) {
  auto started = std::chrono::steady_clock::now();
  while (true) {
    std::this_thread::sleep_for(kPoll);
    Connection connected = connect_to_server(endpoint.directory, endpoint.socket_name());
    if (connected.fd >= 0) return exchange(connected.fd, endpoint, argv);
    if (connected.foreign) {
      trace("miss: " + connected.why);
      return {Attempt::kForeign};
    }
    auto waited = std::chrono::steady_clock::now() - started;
    if (waited > kServerWait || (waited > kLockGrace && !server_holds_lock(endpoint))) {
      trace("cold: no server came up");
      return {Attempt::kNoServer};
    }
  }
}

}  // namespace

int manage_servers(const LaunchPlan& plan, const std::string& action) {
  if (action != "status" && action != "stop") {
    std::fprintf(stderr, "usage: sky-native %s status|stop\n",
                 std::string(kNativeServerFlag).c_str());
    return 2;
  }
  std::string why;
  std::optional<Endpoint> own = endpoint_for(plan, {server::kCliProgramLine}, &why);
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
      server::send_message(connection.fd,
                           {action == "stop" ? MessageKind::kStop : MessageKind::kStatus, {}});
      reply = server::receive_message(connection.fd);
    } catch (const std::exception&) {
      reply.reset();
    }
    ::close(connection.fd);
    if (!reply || reply->kind != MessageKind::kInfo || reply->fields.empty()) continue;
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

bool server_enabled(const char* setting) {
  return setting != nullptr && std::strcmp(setting, "1") == 0;
}

bool zygote_enabled(const char* setting) {
  if (setting == nullptr) return true;
  std::string value(setting);
  const char* blank = " \t\n\r\f\v";
  value.erase(0, value.find_first_not_of(blank));
  value.erase(value.find_last_not_of(blank) + 1);
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value != "0" && value != "false" && value != "no" && value != "off";
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

std::optional<int> offer_to_server(const LaunchPlan& plan, const std::vector<std::string>& argv) {
  if (argv.empty()) return std::nullopt;  // execve with no argv[0]: nothing to name it by
  std::optional<ServedProgram> program = served_program(plan, argv);
  if (!program) return std::nullopt;
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
  std::optional<Endpoint> endpoint = endpoint_for(plan, *program, &why);
  if (!endpoint) {
    trace("off: " + why);
    return std::nullopt;
  }
  AttemptResult result = offer(*endpoint, argv);
  // A foreign server's owner keeps its name; a mismatch runs cold.
  if (result.attempt == Attempt::kNoServer || result.attempt == Attempt::kMismatchRespawn) {
    spawn_server(plan.executable, endpoint->directory, endpoint->name, endpoint->material,
                 program->module);
    if (program->module) result = offer_when_ready(*endpoint, argv);
  }
  stop_forwarding();
  if (result.attempt == Attempt::kServed) return result.exit_code;
  return std::nullopt;
}

}  // namespace sky_native::launcher
