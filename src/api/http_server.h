// HTTP/1.1 keep-alive server on Boost.Beast (C++20 coroutines), feeding the
// Router. Limits: body size, header size, idle and read timeouts, and a cap
// on open connections; a request over a limit is answered and the
// connection closed, nothing else is affected.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/router.h"
#include "base/status.h"

namespace orderhub::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;           // 0: any free port (tests)
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  int max_connections = 4096;
  int idle_timeout_s = 60;
};

class HttpServer {
 public:
  HttpServer(Router* router, ServerOptions options);
  ~HttpServer();
  // Binds and starts the I/O threads; returns once listening.
  Status Start();
  uint16_t port() const;
  // Stops accepting, closes connections, joins threads.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderhub::api
