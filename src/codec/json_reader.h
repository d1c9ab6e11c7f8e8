// Strict readers for JSON input on top of simdjson's on-demand API.
//
// Every reader names the offending field by its JSON pointer ("/lines/2/quantity")
// in the Status it returns, so the API can answer with a precise
// problem+json. Readers never throw and never accept a value of the wrong
// type: a quantity of 1.5 or "2" is an error, not a conversion.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"

namespace orderhub::codec {

using simdjson::ondemand::object;
using simdjson::ondemand::value;

// Limits shared by every wire format.
inline constexpr size_t kMaxIdLength = 64;       // codes, channel order ids, customer ids
inline constexpr size_t kMaxTextLength = 512;    // names, addresses, reasons, descriptions
inline constexpr size_t kMaxAttributesBytes = 16 * 1024;
inline constexpr size_t kMaxDepth = 32;          // nesting of any document

// Turns a simdjson error at `pointer` into a Status; `what` describes the
// expected value ("an integer").
Status JsonError(simdjson::error_code e, const std::string& pointer, std::string_view what = "");

// A parser that refuses documents nested deeper than kMaxDepth.
simdjson::ondemand::parser NewParser();

// Opens `body` (must be padded) as a JSON object.
Status OpenObject(simdjson::ondemand::parser& parser, const simdjson::padded_string& body,
                  simdjson::ondemand::document& doc, object& out);

Status ReadString(value v, const std::string& pointer, size_t max_len, std::string* out);
// A non-empty identifier: printable ASCII without spaces or control characters.
Status ReadId(value v, const std::string& pointer, std::string* out);
Status ReadInt(value v, const std::string& pointer, int64_t min, int64_t max, int64_t* out);
Status ReadBool(value v, const std::string& pointer, bool* out);
Status ReadDouble(value v, const std::string& pointer, double min, double max, double* out);
Status ReadTime(value v, const std::string& pointer, Micros* out);
// A JSON object kept as its exact text (extension attributes).
Status ReadRawObject(value v, const std::string& pointer, std::string* out);

Status UnknownField(const std::string& pointer);
Status MissingField(const std::string& pointer);
Status DuplicateField(const std::string& pointer);

// Tracks which of up to 64 known fields were seen, to refuse duplicates and
// report missing required ones.
class SeenFields {
 public:
  // False when `bit` was already seen.
  bool Mark(int bit) {
    const uint64_t m = uint64_t{1} << bit;
    if (seen_ & m) return false;
    seen_ |= m;
    return true;
  }
  bool Has(int bit) const { return (seen_ >> bit) & 1; }

 private:
  uint64_t seen_ = 0;
};

// Lowercase hex SHA-256 of `data`: request digests for idempotency, API key
// hashes, audit digests and the audit chain.
std::string Sha256Hex(std::string_view data);

}  // namespace orderhub::codec
