#include "api/problem.h"

#include "base/json_writer.h"

namespace orderhub::api {

int HttpStatusOf(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists:
    case Code::kConflict:
    case Code::kInsufficient: return 409;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kTooLarge: return 413;
    case Code::kRateLimited: return 429;
    case Code::kWrongRegion: return 421;
    case Code::kUnavailable: return 503;
    case Code::kCorruption:
    case Code::kIOError:
    case Code::kInternal: return 500;
  }
  return 500;
}

namespace {
const char* TitleOf(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 421: return "Misdirected Request";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}
}  // namespace

writer::Reply Problem(const Status& st, std::string_view extra) {
  writer::Reply r;
  r.status = HttpStatusOf(st.code());
  r.content_type = "application/problem+json";
  JsonWriter w(&r.body);
  w.BeginObject().Field("type", "https://orderhub.dev/problems/" + st.reason()).Field("title", TitleOf(r.status));
  w.Field("status", r.status).Field("detail", st.message()).Field("reason", st.reason()).Field("pointer", st.pointer());
  r.body.append(extra);
  w.EndObject();
  if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

writer::Reply ParameterProblem(std::string_view parameter, std::string_view reason, std::string_view detail) {
  std::string extra;
  JsonWriter w(&extra);
  w.Field("parameter", parameter);
  extra.insert(extra.begin(), ',');
  return Problem(Status::InvalidArgument(std::string(reason), std::string(detail), ""), extra);
}

}  // namespace orderhub::api
