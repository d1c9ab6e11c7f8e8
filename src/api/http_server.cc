#include "api/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <atomic>
#include <chrono>
#include <list>
#include <mutex>
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
  // Deadlines without a timer per connection. Re-arming a stream timer at
  // every read and write cost a kernel timer update most times (the earliest
  // deadline moves) and a third of the trivial-request rate (BENCHMARKS.md).
  // A connection stores its deadline; a sweeper closes, once a second, those
  // past it, on their own strand.
  using Strand = asio::strand<asio::io_context::executor_type>;
  struct Conn {
    explicit Conn(Strand s) : strand(std::move(s)) {}
    Strand strand;
    std::atomic<int64_t> deadline_ms{INT64_MAX};
    tcp::socket* socket = nullptr;  // null once the session ended; on `strand` only
  };
  std::mutex conns_mu;
  std::list<std::shared_ptr<Conn>> conns;  // GUARDED_BY(conns_mu)
  std::atomic<int> connections{0};
  // Above: declared before `ioc`, so they outlive the sessions its
  // destruction ends.

  Router* router;
  ServerOptions options;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  uint16_t port = 0;

  void Arm(Conn& c) const { c.deadline_ms.store(NowMs() + int64_t{options.idle_timeout_s} * 1000); }

  asio::awaitable<void> Sweep() {
    asio::steady_timer timer(ioc);
    for (;;) {
      timer.expires_after(std::chrono::seconds(1));
      beast::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const int64_t now = NowMs();
      std::lock_guard<std::mutex> lock(conns_mu);
      for (const std::shared_ptr<Conn>& c : conns) {
        if (c->deadline_ms.load() > now) continue;
        asio::post(c->strand, [c] {
          if (c->socket == nullptr) return;
          beast::error_code ignored;
          c->socket->close(ignored);
        });
      }
    }
  }

  // Bridges the Router's callback into a coroutine: resumes on the
  // connection's executor once the reply is ready (possibly after commit).
  template <typename Token>
  auto AsyncHandle(Request req, Token&& token) {
    return asio::async_initiate<Token, void(writer::Reply)>(
        [this](auto handler, Request req) {
          auto ex = asio::get_associated_executor(handler, ioc.get_executor());
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          router->Handle(req, [shared, ex](writer::Reply reply) {
            asio::post(ex, [shared, reply = std::move(reply)]() mutable { (*shared)(std::move(reply)); });
          });
        },
        token, std::move(req));
  }

  static http::response<http::string_body> ToResponse(writer::Reply r, unsigned version, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "orderhub");
    res.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = std::move(r.body);
    res.prepare_payload();
    return res;
  }

  asio::awaitable<void> Session(tcp::socket socket, std::shared_ptr<Conn> conn) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    // Room for a whole order request in one read: Beast reads at most the
    // buffer's free capacity (512 bytes at first), and a receive costs a
    // system call.
    buffer.reserve(8 << 10);
    conn->socket = &stream.socket();
    beast::error_code peer_ec;
    const tcp::endpoint peer = stream.socket().remote_endpoint(peer_ec);
    const std::string source = peer_ec ? "" : peer.address().to_string() + ":" + std::to_string(peer.port());
    std::list<std::shared_ptr<Conn>>::iterator registered;
    {
      std::lock_guard<std::mutex> lock(conns_mu);
      registered = conns.insert(conns.end(), conn);
    }
    struct Leave {
      Impl& impl;
      std::list<std::shared_ptr<Conn>>::iterator it;
      ~Leave() {
        (*it)->socket = nullptr;
        std::lock_guard<std::mutex> lock(impl.conns_mu);
        impl.conns.erase(it);
        --impl.connections;
      }
    } leave{*this, registered};
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
      // One deadline for the whole request: a client trickling bytes
      // (slowloris) is cut off like an idle one.
      Arm(*conn);
      beast::error_code ec;
      // Between requests of a keep-alive client, wait for the socket to be
      // readable before reading: a read tried at once (Asio's default) fails
      // with EAGAIN nearly every time here, a wasted system call per request.
      if (buffer.size() == 0) {
        co_await stream.socket().async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!ec) co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      conn->deadline_ms.store(INT64_MAX);  // the hub's own time does not count
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
        auto res = ToResponse(std::move(r), 11, false);
        Arm(*conn);
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
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
      writer::Reply reply = co_await AsyncHandle(std::move(r), asio::use_awaitable);
      auto res = ToResponse(std::move(reply), req.version(), keep_alive);
      Arm(*conn);  // a client that does not read its answer is cut off too
      beast::error_code wec;
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, wec));
      if (wec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      if (connections.load() >= options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      ++connections;
      socket.set_option(tcp::no_delay(true));
      auto conn = std::make_shared<Conn>(asio::make_strand(ioc));
      asio::co_spawn(conn->strand, Session(std::move(socket), conn), asio::detached);
    }
  }
};

HttpServer::HttpServer(Router* router, ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->router = router;
  impl_->options = std::move(options);
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  beast::error_code ec;
  auto addr = asio::ip::make_address(impl_->options.host, ec);
  if (ec) return Status::InvalidArgument("invalid_listen", "cannot parse host '" + impl_->options.host + "'", "");
  tcp::endpoint ep(addr, impl_->options.port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) +
                           ": " + ec.message());
  }
  impl_->port = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->ioc, impl_->Accept(), asio::detached);
  asio::co_spawn(impl_->ioc, impl_->Sweep(), asio::detached);
  for (int i = 0; i < impl_->options.threads; ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
  return Status::OK();
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->threads.empty()) return;
  asio::post(impl_->ioc, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace orderhub::api
