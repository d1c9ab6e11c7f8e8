#include "codec/json_reader.h"

#include <openssl/evp.h>

#include "base/hex.h"

namespace orderhub::codec {

namespace {
// Byte offset of the first invalid UTF-8 sequence, so the error can say where.
size_t FirstInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    if (!simdjson::validate_utf8(s.data() + i, n)) return i;
    i += n;
  }
  return s.size();
}
}  // namespace

Status JsonError(simdjson::error_code e, const std::string& pointer, std::string_view what) {
  using simdjson::error_code;
  switch (e) {
    case error_code::INCORRECT_TYPE:
      return Status::InvalidArgument("wrong_type", "must be " + std::string(what.empty() ? "another type" : what),
                                     pointer);
    case error_code::NUMBER_OUT_OF_RANGE:
      return Status::InvalidArgument("out_of_range", "number is out of range", pointer);
    case error_code::DEPTH_ERROR:
      return Status::InvalidArgument("too_deep", "JSON nests deeper than " + std::to_string(kMaxDepth) + " levels",
                                     pointer);
    case error_code::UTF8_ERROR:
      return Status::InvalidArgument("invalid_utf8", "text is not valid UTF-8", pointer);
    case error_code::CAPACITY:
      return Status::TooLarge("body_too_large", "document is too large", pointer);
    default:
      return Status::InvalidArgument("malformed_json", std::string("malformed JSON: ") + simdjson::error_message(e),
                                     pointer);
  }
}

simdjson::ondemand::parser NewParser() {
  simdjson::ondemand::parser p;
  // Only fails on out-of-memory, which the first parse reports again.
  [[maybe_unused]] auto e = p.allocate(1 << 16, kMaxDepth);
  return p;
}

Status OpenObject(simdjson::ondemand::parser& parser, const simdjson::padded_string& body,
                  simdjson::ondemand::document& doc, object& out) {
  if (!simdjson::validate_utf8(body.data(), body.size())) {
    return Status::InvalidArgument(
        "invalid_utf8", "body is not valid UTF-8 at byte offset " + std::to_string(FirstInvalidUtf8(body)), "");
  }
  if (auto e = parser.iterate(body).get(doc); e) return JsonError(e, "");
  if (auto e = doc.get_object().get(out); e) return JsonError(e, "", "a JSON object");
  return Status::OK();
}

Status ReadString(value v, const std::string& pointer, size_t max_len, std::string* out) {
  std::string_view s;
  if (auto e = v.get_string().get(s); e) return JsonError(e, pointer, "a string");
  if (s.size() > max_len) {
    return Status::InvalidArgument("too_long", "longer than " + std::to_string(max_len) + " bytes", pointer);
  }
  out->assign(s);
  return Status::OK();
}

Status ReadId(value v, const std::string& pointer, std::string* out) {
  OH_RETURN_IF_ERROR(ReadString(v, pointer, kMaxIdLength, out));
  if (out->empty()) return Status::InvalidArgument("empty", "must not be empty", pointer);
  for (unsigned char c : *out) {
    if (c <= 0x20 || c >= 0x7f) {
      return Status::InvalidArgument("invalid_id", "may hold only printable ASCII without spaces", pointer);
    }
  }
  return Status::OK();
}

Status ReadInt(value v, const std::string& pointer, int64_t min, int64_t max, int64_t* out) {
  simdjson::ondemand::json_type t;
  if (auto e = v.type().get(t); e) return JsonError(e, pointer, "an integer");
  if (t != simdjson::ondemand::json_type::number) return JsonError(simdjson::INCORRECT_TYPE, pointer, "an integer");
  // Classify by the literal: simdjson reports 1.5 and 1e3 as number errors
  // when asked for an integer, and we want to say which rule was broken.
  const std::string_view token = v.raw_json_token();
  if (token.find_first_of(".eE") != std::string_view::npos) {
    return Status::InvalidArgument("not_integer", "must be an integer", pointer);
  }
  int64_t x;
  if (auto e = v.get_int64().get(x); e) {
    return Status::InvalidArgument("out_of_range",
                                   "must be between " + std::to_string(min) + " and " + std::to_string(max), pointer);
  }
  if (x < min || x > max) {
    return Status::InvalidArgument("out_of_range",
                                   "must be between " + std::to_string(min) + " and " + std::to_string(max), pointer);
  }
  *out = x;
  return Status::OK();
}

Status ReadBool(value v, const std::string& pointer, bool* out) {
  if (auto e = v.get_bool().get(*out); e) return JsonError(e, pointer, "true or false");
  return Status::OK();
}

Status ReadDouble(value v, const std::string& pointer, double min, double max, double* out) {
  double x;
  if (auto e = v.get_double().get(x); e) return JsonError(e, pointer, "a number");
  if (!(x >= min && x <= max)) {
    return Status::InvalidArgument("out_of_range",
                                   "must be between " + std::to_string(min) + " and " + std::to_string(max), pointer);
  }
  *out = x;
  return Status::OK();
}

Status ReadTime(value v, const std::string& pointer, Micros* out) {
  std::string s;
  OH_RETURN_IF_ERROR(ReadString(v, pointer, 40, &s));
  if (!ParseRfc3339(s, out)) {
    return Status::InvalidArgument("invalid_time", "must be an RFC 3339 time such as 2026-11-11T08:00:00+08:00",
                                   pointer);
  }
  return Status::OK();
}

Status ReadRawObject(value v, const std::string& pointer, std::string* out) {
  simdjson::ondemand::json_type t;
  if (auto e = v.type().get(t); e) return JsonError(e, pointer);
  if (t != simdjson::ondemand::json_type::object) return JsonError(simdjson::INCORRECT_TYPE, pointer, "an object");
  std::string_view raw;
  if (auto e = simdjson::to_json_string(v).get(raw); e) return JsonError(e, pointer);
  if (raw.size() > kMaxAttributesBytes) {
    return Status::TooLarge("too_long", "larger than " + std::to_string(kMaxAttributesBytes) + " bytes", pointer);
  }
  // The on-demand parser skips nested values lazily; stored attributes are
  // checked in full (well-formed, nesting within kMaxDepth) before we keep them.
  thread_local simdjson::dom::parser dom = [] {
    simdjson::dom::parser p;
    [[maybe_unused]] auto e = p.allocate(kMaxAttributesBytes, kMaxDepth);
    return p;
  }();
  simdjson::dom::element ignored;
  if (auto e = dom.parse(raw.data(), raw.size()).get(ignored); e) return JsonError(e, pointer);
  out->assign(raw);
  return Status::OK();
}

Status UnknownField(const std::string& pointer) {
  return Status::InvalidArgument("unknown_field", "unknown field", pointer);
}
Status MissingField(const std::string& pointer) {
  return Status::InvalidArgument("missing_field", "required field is missing", pointer);
}
Status DuplicateField(const std::string& pointer) {
  return Status::InvalidArgument("duplicate_field", "field appears more than once", pointer);
}

// EVP_Digest with EVP_sha256() looks the digest up in OpenSSL's provider
// store, under a lock, and allocates a context at every call: half the cost
// of hashing an order document (three hashes per created order: the API key,
// the audit digest, the audit chain). The digest is fetched once; each thread
// keeps its context.
std::string Sha256Hex(std::string_view data) {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context c;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestInit_ex2(c.ctx, kSha256, nullptr);
  EVP_DigestUpdate(c.ctx, data.data(), data.size());
  EVP_DigestFinal_ex(c.ctx, md, &len);
  return HexEncode(md, len);
}

}  // namespace orderhub::codec
