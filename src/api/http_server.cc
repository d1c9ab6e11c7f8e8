#include "api/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <list>
#include <thread>
#include <vector>

#include "api/problem.h"

namespace orderhub::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct HttpServer::Impl {
  // Every handler runs on a concrete io_context executor, not Asio's
  // type-erased default: each completion of the erased one copied, compared
  // and destroyed executors through function pointers.
  using Executor = asio::io_context::executor_type;
  using Socket = asio::basic_stream_socket<tcp, Executor>;
  using Timer = asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>,
                                           Executor>;
  template <typename T>
  using Task = asio::awaitable<T, Executor>;
  static constexpr asio::use_awaitable_t<Executor> kAwait{};

  // Deadlines without a timer per connection. Re-arming a stream timer at
  // every read and write cost a kernel timer update most times (the earliest
  // deadline moves) and a third of the trivial-request rate (BENCHMARKS.md).
  // A connection stores its deadline; its loop's sweeper closes, once a
  // second, those past it.
  struct Conn {
    int64_t deadline_ms = INT64_MAX;
    Socket* socket;
  };
  // One event loop per I/O thread, and a connection stays on the loop that
  // accepted it: its handlers never race, so it needs no strand, and a loop
  // run by one thread queues the handlers it posts itself without a lock
  // (concurrency hint 1). Replies from the syncer are the only posts from
  // other threads.
  struct Loop {
    std::list<Conn*> conns;  // on this loop's thread only; outlives `ioc`, whose end ends the sessions
    asio::io_context ioc{1};
    std::thread thread;
  };

  std::atomic<int> connections{0};
  Router* router;
  ServerOptions options;
  std::vector<std::unique_ptr<Loop>> loops;  // declared before the acceptor, which lives on loops[0]
  std::unique_ptr<asio::basic_socket_acceptor<tcp, Executor>> acceptor;
  uint16_t port = 0;

  void Arm(Conn& c) const { c.deadline_ms = NowMs() + int64_t{options.idle_timeout_s} * 1000; }

  static Task<void> Sweep(Loop& loop) {
    Timer timer(loop.ioc);
    for (;;) {
      timer.expires_after(std::chrono::seconds(1));
      beast::error_code ec;
      co_await timer.async_wait(asio::redirect_error(kAwait, ec));
      if (ec) co_return;
      const int64_t now = NowMs();
      for (Conn* c : loop.conns) {
        if (c->deadline_ms > now) continue;
        beast::error_code ignored;
        c->socket->close(ignored);
      }
    }
  }

  // Bridges the Router's callback into a coroutine: resumes on the
  // connection's loop once the reply is ready (possibly after commit).
  template <typename Token>
  auto AsyncHandle(Request req, Token&& token) {
    return asio::async_initiate<Token, void(writer::Reply)>(
        [this](auto handler, Request req) {
          auto ex = asio::get_associated_executor(handler);
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          router->Handle(req, [shared, ex](writer::Reply reply) {
            asio::post(ex, [shared, reply = std::move(reply)]() mutable { (*shared)(std::move(reply)); });
          });
        },
        token, std::move(req));
  }

  // The status line and headers, written by hand: Beast's response type
  // allocated a node per field and its serializer walked them as a buffer
  // sequence, for four short headers (1-5% of the create rate, BENCHMARKS.md).
  // The head and the body leave in one gathered write.
  static std::string ResponseHead(const writer::Reply& r, unsigned version, bool keep_alive) {
    std::string head;
    head.reserve(160);
    head += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    head += std::to_string(r.status);
    head += ' ';
    const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
    head.append(reason.data(), reason.size());
    auto field = [&](std::string_view name, std::string_view value) {
      head += "\r\n";
      head += name;
      head += ": ";
      // Our own values, but a line break in one would start a header of its own.
      for (char c : value) head += (c == '\r' || c == '\n') ? ' ' : c;
    };
    field("Server", "orderhub");
    field("Content-Type", r.content_type);
    for (const auto& [k, v] : r.headers) field(k, v);
    field("Content-Length", std::to_string(r.body.size()));
    if (version == 10 && keep_alive) field("Connection", "keep-alive");
    if (version != 10 && !keep_alive) field("Connection", "close");
    head += "\r\n\r\n";
    return head;
  }

  static Task<beast::error_code> Answer(Socket& socket, const writer::Reply& r, unsigned version, bool keep_alive) {
    const std::string head = ResponseHead(r, version, keep_alive);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(r.body)};
    beast::error_code ec;
    co_await asio::async_write(socket, buffers, asio::redirect_error(kAwait, ec));
    co_return ec;
  }

  Task<void> Session(Socket socket, Loop& loop) {
    beast::flat_buffer buffer;
    // Room for a whole order request in one read: Beast reads at most the
    // buffer's free capacity (512 bytes at first), and a receive costs a
    // system call.
    buffer.reserve(8 << 10);
    Conn conn{INT64_MAX, &socket};
    beast::error_code peer_ec;
    const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
    const std::string source = peer_ec ? "" : peer.address().to_string() + ":" + std::to_string(peer.port());
    struct Leave {
      Impl& impl;
      Loop& loop;
      std::list<Conn*>::iterator it;
      ~Leave() {
        loop.conns.erase(it);
        --impl.connections;
      }
    } leave{*this, loop, loop.conns.insert(loop.conns.end(), &conn)};
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
      // One deadline for the whole request: a client trickling bytes
      // (slowloris) is cut off like an idle one.
      Arm(conn);
      beast::error_code ec;
      // Between requests of a keep-alive client, let the loop run what else
      // is ready before reading: a read tried at once (Asio's default) fails
      // with EAGAIN nearly every time here, while the client is still taking
      // the answer, and waiting for readability first (async_wait) costs an
      // epoll_ctl every time. After the loop's other work, the next request
      // has usually arrived: one system call, the read.
      if (buffer.size() == 0) co_await asio::post(socket.get_executor(), kAwait);
      co_await http::async_read(socket, buffer, parser, asio::redirect_error(kAwait, ec));
      conn.deadline_ms = INT64_MAX;  // the hub's own time does not count
      if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
          ec == asio::error::bad_descriptor || ec == asio::error::connection_reset) {
        break;
      }
      if (ec) {
        writer::Reply r;
        if (ec == http::error::body_limit) {
          r = Problem(Status::TooLarge("body_too_large",
                                       "the body is larger than " + std::to_string(options.max_body_bytes) + " bytes"));
        } else if (ec == http::error::header_limit) {
          r = Problem(Status::TooLarge("headers_too_large", "the headers are larger than " +
                                                                std::to_string(options.max_header_bytes) + " bytes"));
          r.status = 431;
        } else {
          r = Problem(Status::InvalidArgument("malformed_http", "malformed HTTP request: " + ec.message(), ""));
        }
        Arm(conn);
        co_await Answer(socket, r, 11, false);
        break;
      }
      http::request<http::string_body> req = parser.release();
      Request r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      r.body = std::move(req.body());
      if (auto it = req.find(http::field::authorization); it != req.end()) r.authorization = std::string(it->value());
      if (auto it = req.find("X-API-Key"); it != req.end()) r.api_key = std::string(it->value());
      if (auto it = req.find("Idempotency-Key"); it != req.end()) r.idempotency_key = std::string(it->value());
      if (auto it = req.find("X-Unmask-Reason"); it != req.end()) r.unmask_reason = std::string(it->value());
      r.source = source;
      r.from_network = true;
      const bool keep_alive = req.keep_alive();
      const writer::Reply reply = co_await AsyncHandle(std::move(r), kAwait);
      Arm(conn);  // a client that does not read its answer is cut off too
      const beast::error_code wec = co_await Answer(socket, reply, req.version(), keep_alive);
      if (wec || !keep_alive) break;
    }
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
  }

  Task<void> Accept() {
    for (size_t next = 0;; next = (next + 1) % loops.size()) {
      Loop& loop = *loops[next];
      beast::error_code ec;
      Socket socket = co_await acceptor->async_accept(loop.ioc, asio::redirect_error(kAwait, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      if (connections.load() >= options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      ++connections;
      socket.set_option(tcp::no_delay(true));
      asio::co_spawn(loop.ioc, Session(std::move(socket), loop), asio::detached);
    }
  }
};

HttpServer::HttpServer(Router* router, ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->router = router;
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  Impl& m = *impl_;
  for (int i = 0; i < m.options.threads; ++i) m.loops.push_back(std::make_unique<Impl::Loop>());
  m.acceptor = std::make_unique<asio::basic_socket_acceptor<tcp, Impl::Executor>>(m.loops[0]->ioc);
  beast::error_code ec;
  auto addr = asio::ip::make_address(m.options.host, ec);
  if (ec) return Status::InvalidArgument("invalid_listen", "cannot parse host '" + m.options.host + "'", "");
  tcp::endpoint ep(addr, m.options.port);
  m.acceptor->open(ep.protocol(), ec);
  if (!ec) m.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) m.acceptor->bind(ep, ec);
  if (!ec) m.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + m.options.host + ":" + std::to_string(m.options.port) + ": " +
                           ec.message());
  }
  m.port = m.acceptor->local_endpoint().port();
  asio::co_spawn(m.loops[0]->ioc, m.Accept(), asio::detached);
  for (auto& loop : m.loops) {
    asio::co_spawn(loop->ioc, Impl::Sweep(*loop), asio::detached);
    loop->thread = std::thread([l = loop.get()] { l->ioc.run(); });
  }
  return Status::OK();
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  Impl& m = *impl_;
  if (m.loops.empty() || !m.loops[0]->thread.joinable()) return;
  asio::post(m.loops[0]->ioc, [&m] {
    beast::error_code ignored;
    m.acceptor->close(ignored);
  });
  for (auto& loop : m.loops) loop->ioc.stop();
  for (auto& loop : m.loops) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  // The loops stay until the server is destroyed: a reply that arrives after
  // the stop is posted to a stopped loop, not to a destroyed one.
}

}  // namespace orderhub::api
