// A blocking HTTP/1.1 client for tests (Boost.Beast), one connection per
// request unless a Connection is reused.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <functional>
#include <map>
#include <string>

namespace orderhub::testing {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  std::string error;  // transport error, empty when a response arrived
};

class HttpClient {
 public:
  // Sees every exchange of every client while set (a test fixture scans all
  // answers for planted personal data with it).
  using Observer = std::function<void(const std::map<std::string, std::string>& request_headers,
                                      const HttpResponse&)>;
  static inline Observer observer;

  explicit HttpClient(uint16_t port, std::string api_key = "") : port_(port), api_key_(std::move(api_key)) {}

  HttpResponse Send(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {}) const {
    namespace http = boost::beast::http;
    HttpResponse out;
    try {
      boost::asio::io_context ioc;
      boost::beast::tcp_stream stream(ioc);
      stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
      stream.expires_after(std::chrono::seconds(30));
      http::request<http::string_body> req{http::string_to_verb(method), target, 11};
      req.set(http::field::host, "127.0.0.1");
      if (!api_key_.empty()) req.set(http::field::authorization, "Bearer " + api_key_);
      if (!body.empty()) req.set(http::field::content_type, "application/json");
      for (const auto& [k, v] : headers) req.set(k, v);
      req.body() = body;
      req.prepare_payload();
      http::write(stream, req);
      boost::beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      http::read(stream, buffer, parser);
      auto res = parser.release();
      out.status = static_cast<int>(res.result_int());
      out.body = res.body();
      for (const auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
    } catch (const std::exception& e) {
      out.error = e.what();
    }
    if (observer) observer(headers, out);
    return out;
  }

 private:
  uint16_t port_;
  std::string api_key_;
};

}  // namespace orderhub::testing
