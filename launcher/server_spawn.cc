#include "server_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "mode.h"
#include "sky/common/posix.h"

namespace sky_native::launcher {
namespace {

namespace server = sky::core::server;

}  // namespace

void spawn_server(const std::string& executable, const server::SocketDirectory& directory,
                  const std::string& key_name, const std::string& material, bool unbuffered) {
  int material_pipe[2];
  if (::pipe2(material_pipe, O_CLOEXEC) != 0) return;
  pid_t middle = ::fork();
  if (middle == 0) {
    ::setsid();
    if (::fork() != 0) std::_Exit(0);
    const sky::core::TrustedDirectory& trusted = directory.directory;
    int null_fd = ::open("/dev/null", O_RDONLY);
    // A fresh file: whatever has the log's name (a link included) is
    // removed, not followed or truncated.
    std::string log_name = key_name + ".log";
    ::unlinkat(trusted.fd(), log_name.c_str(), 0);
    int log_fd = trusted.open_file(log_name, O_WRONLY | O_CREAT | O_EXCL);
    if (null_fd < 0 || log_fd < 0) std::_Exit(127);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    // Copied above both numbers first, so that neither lands on the other's
    // number; dup2 then clears close-on-exec.
    static_assert(server::kMaterialFd < server::kDirectoryFd);
    constexpr int kAbove = server::kDirectoryFd + 1;
    int material_fd = ::fcntl(material_pipe[0], F_DUPFD_CLOEXEC, kAbove);
    int socket_dir = ::fcntl(trusted.fd(), F_DUPFD_CLOEXEC, kAbove);
    if (material_fd < 0 || socket_dir < 0 ||
        ::dup2(material_fd, server::kMaterialFd) != server::kMaterialFd ||
        ::dup2(socket_dir, server::kDirectoryFd) != server::kDirectoryFd) {
      std::_Exit(127);
    }
    for (int fd = kAbove; fd < 1024; ++fd) ::close(fd);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
      ::signal(signal_number, SIG_DFL);
    }
    if (unbuffered) ::setenv("PYTHONUNBUFFERED", "1", 1);
    std::string exe = sky::core::self_exe();
    std::vector<std::string> args = {executable, std::string(kNativeServerFlag),
                                     std::string(kServeAction),
                                     directory.path + "/" + key_name + ".sock"};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    std::_Exit(127);
  }
  ::close(material_pipe[0]);
  if (middle > 0) {
    sky::core::write_all(material_pipe[1], material.data(), material.size());
    int status = 0;
    sky::core::retry_on_eintr([&] { return ::waitpid(middle, &status, 0); });
  }
  ::close(material_pipe[1]);
}

}  // namespace sky_native::launcher
