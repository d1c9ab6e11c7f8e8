// The real `orderhub` binary as a child process, for tests that need the
// whole program: crash safety (SIGKILL), the README's tour.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace orderhub::testing {

struct HubProcess {
  pid_t pid = -1;
  uint16_t port = 0;   // 0 when the banner named none
  std::string banner;  // the first line it printed, once listening
};

// Runs `binary` with `args` (which should listen on 127.0.0.1:0) and reads
// the port from the first line it prints. Later output goes to a closed pipe.
inline HubProcess StartHubProcess(const std::string& binary, const std::vector<std::string>& args) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  HubProcess hub;
  hub.pid = fork();
  if (hub.pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    std::vector<char*> argv{const_cast<char*>(binary.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') hub.banner += c;
  close(fds[0]);
  const size_t at = hub.banner.find("http://127.0.0.1:");
  EXPECT_NE(at, std::string::npos) << hub.banner;
  if (at != std::string::npos) hub.port = static_cast<uint16_t>(std::atoi(hub.banner.c_str() + at + 17));
  return hub;
}

}  // namespace orderhub::testing
