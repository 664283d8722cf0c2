// SPDX-License-Identifier: Apache-2.0
// Starts tests/support/fault_proxy.py in front of a test server for one test
// and stops it after: a loopback TCP proxy that cuts a connection before a
// request, after the request reached the server, or after the reply (see the
// script). The proxy says "ready PORT" when it listens and "cut N MODE" after
// each cut; the fixture waits for those lines (bounded), never sleeps.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#if !defined(DBRIDGE_FAULT_PROXY) || !defined(DBRIDGE_PYTHON)
#error "define DBRIDGE_FAULT_PROXY (tests/support/fault_proxy.py) and DBRIDGE_PYTHON (the python3 to run it)"
#endif

extern char** environ;

namespace dbridge::test {

struct fault_proxy_options {
  std::string target;  ///< host:port of the server
  std::string mode;    ///< before | after_request | after_reply
  std::string marker;  ///< text in a request that triggers the cut
  int every = 1;       ///< cut every K-th marker
  int cuts = 1;        ///< at most this many cuts; 0 = no limit
  double lifetime_s = 60;
};

class fault_proxy {
 public:
  explicit fault_proxy(const fault_proxy_options& o) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("fault_proxy: pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    std::vector<std::string> args = {DBRIDGE_PYTHON, DBRIDGE_FAULT_PROXY,
                                     "--target",     o.target,
                                     "--mode",       o.mode,
                                     "--marker",     o.marker,
                                     "--every",      std::to_string(o.every),
                                     "--cuts",       std::to_string(o.cuts),
                                     "--lifetime",   std::to_string(o.lifetime_s)};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, DBRIDGE_PYTHON, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error(std::string("fault_proxy: cannot start " DBRIDGE_PYTHON ": ") + std::strerror(rc));
    }
    const std::string ready = next_line(std::chrono::seconds(10));
    if (ready.rfind("ready ", 0) != 0) throw std::runtime_error("fault_proxy: no ready line, got '" + ready + "'");
    port_ = std::stoi(ready.substr(6));
  }
  fault_proxy(const fault_proxy&) = delete;
  fault_proxy& operator=(const fault_proxy&) = delete;
  ~fault_proxy() {
    // Closing its stdin tells the proxy to exit (it is bounded by --lifetime
    // anyway); its output then ends.
    if (stdin_ >= 0) ::close(stdin_);
    if (pid_ > 0) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (read_more(deadline) == chunk::data) buf_.clear();
      int status = 0;
      if (std::chrono::steady_clock::now() >= deadline) ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    if (stdout_ >= 0) ::close(stdout_);
  }

  int port() const noexcept { return port_; }

  /// Waits until the proxy has made n cuts in all (bounded); false on timeout.
  bool wait_cuts(int n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (cuts_ < n) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      if (next_line(left).rfind("cut ", 0) == 0) ++cuts_;
    }
    return true;
  }
  int cuts_seen() const noexcept { return cuts_; }

 private:
  enum class chunk { data, end, timeout };

  /// Reads what the proxy printed into buf_, waiting until deadline at most.
  chunk read_more(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return chunk::timeout;
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char text[256];
      const ssize_t n = ::read(stdout_, text, sizeof text);
      if (n <= 0) return chunk::end;
      buf_.append(text, static_cast<std::size_t>(n));
      return chunk::data;
    }
  }

  /// The next line of the proxy's output; "" on timeout or end of output.
  std::string next_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const std::size_t nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      if (read_more(deadline) != chunk::data) return {};
    }
  }

  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1;
  int port_ = 0;
  int cuts_ = 0;
  std::string buf_;
};

/// url with its host:port replaced by 127.0.0.1:port (URLs of the form
/// scheme://[user[:pw]@]host:port/...).
inline std::string via_port(const std::string& url, int port) {
  const std::size_t scheme = url.find("://");
  const std::size_t start = url.find('@', scheme) != std::string::npos ? url.find('@', scheme) + 1 : scheme + 3;
  const std::size_t end = url.find_first_of("/?", start);
  return url.substr(0, start) + "127.0.0.1:" + std::to_string(port) +
         (end == std::string::npos ? std::string() : url.substr(end));
}

/// The host:port of a URL of that form.
inline std::string host_port(const std::string& url) {
  const std::size_t scheme = url.find("://");
  const std::size_t start = url.find('@', scheme) != std::string::npos ? url.find('@', scheme) + 1 : scheme + 3;
  const std::size_t end = url.find_first_of("/?", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace dbridge::test
