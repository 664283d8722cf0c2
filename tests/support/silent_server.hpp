// SPDX-License-Identifier: Apache-2.0
// Test helpers for "never hang": a silent server (tests/support/silent_server.py,
// a loopback listener that accepts and never answers) started per fixture and
// waited for by its READY line, and a subprocess run with a hard time cap.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace dbridge::test {

/// Starts silent_server.py; port() is where it listens. The process ends when
/// this object goes (its stdin closes), or after `lifetime_s` whatever happens.
/// greet "mysql": it sends a MySQL greeting first, then falls silent.
class silent_server {
 public:
  explicit silent_server(const std::string& greet = {}, double lifetime_s = 60) {
    int out[2], in[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    const std::string script = DBRIDGE_TEST_SUPPORT_DIR "/silent_server.py";
    const std::string life = std::to_string(lifetime_s);
    // Debian's interpreter when present: a version-manager shim on PATH can
    // take a second to start.
    const char* python = ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    std::vector<char*> argv{const_cast<char*>(python), const_cast<char*>(script.c_str()),
                            const_cast<char*>("--lifetime"), const_cast<char*>(life.c_str())};
    const std::string greet_arg = "--greet=" + greet;
    if (!greet.empty()) argv.push_back(const_cast<char*>(greet_arg.c_str()));
    argv.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, python, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    ::close(in[0]);
    stdin_ = in[1];
    if (rc != 0) {
      ::close(out[0]);
      throw std::runtime_error("cannot start python3 " + script);
    }
    // The READY line, within a bounded wait.
    std::string line;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      pollfd p{out[0], POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[64];
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    if (line.rfind("READY ", 0) != 0) {
      stop();
      throw std::runtime_error("silent_server.py did not report READY (got '" + line + "')");
    }
    port_ = std::atoi(line.c_str() + 6);
  }
  silent_server(const silent_server&) = delete;
  silent_server& operator=(const silent_server&) = delete;
  ~silent_server() { stop(); }

  int port() const noexcept { return port_; }
  std::string hostport() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void stop() noexcept {
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
    pid_ = -1;
  }
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = 0;
};

/// The outcome of run_capped.
struct capped_run {
  int exit_code = -1;     ///< -1 when killed
  bool killed = false;    ///< still running at the cap: killed with SIGKILL
  double seconds = 0;     ///< wall time until it ended (or was killed)
};

/// Runs program (stdout/stderr to /dev/null) and kills it after cap_s.
inline capped_run run_capped(const std::string& program, const std::vector<std::string>& args, double cap_s) {
  std::vector<char*> argv{const_cast<char*>(program.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const auto start = std::chrono::steady_clock::now();
  const int rc = ::posix_spawn(&pid, program.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw std::runtime_error("cannot start " + program);
  capped_run out;
  int st = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &st, WNOHANG);
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (w == pid) {
      out.seconds = t;
      out.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      return out;
    }
    if (t >= cap_s) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      out.seconds = t;
      out.killed = true;
      return out;
    }
    // Polling the child's exit: waitpid has no timeout.
    ::usleep(10'000);
  }
}

}  // namespace dbridge::test
