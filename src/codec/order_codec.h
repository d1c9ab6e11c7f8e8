// The order wire format: create-order requests in, order documents out.
//
// One place defines the JSON shape of an order; the API and the journal
// replay both go through it, so they cannot drift apart.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json_writer.h"
#include "base/status.h"
#include "engine/command.h"
#include "codec/json_reader.h"
#include "codec/order_detail.h"
#include "crypto/crypto.h"
#include "engine/engine.h"
#include "model/order.h"

namespace orderhub::codec {

inline constexpr size_t kMaxLines = 500;
inline constexpr int64_t kMaxQuantity = 1'000'000;
inline constexpr int64_t kMaxUnitPrice = 100'000'000'000;  // 1e9 yuan in fen: beyond any real line

// Parses and validates a create-order body for `tenant`. The order id,
// created_at and idempotency fields are left for the caller to stamp, and
// the details for EncodeDetails. Thread-safe (uses a thread-local parser).
Result<engine::CreateOrder> ParseCreateOrder(std::string_view body, const std::string& tenant);

// Fills the command's detail and line_details from its order (see
// codec/order_detail.h), sealing the personal fields with `keys`.
void EncodeDetails(engine::CreateOrder& c, const crypto::DataKeys& keys);

// The order as the API returns it: personal fields (ship_to name, phone,
// address) masked, or as given in `unmasked` (OpenPersonal), for a caller
// with the unmask permission who asked (access/access.h).
void WriteOrder(const engine::OrderView& o, JsonWriter& w, const PersonalData* unmasked = nullptr);
// The order's personal fields, opened with `keys`.
Result<PersonalData> OpenPersonal(const engine::OrderView& o, const crypto::DataKeys& keys);

// Top-level scalar members of a JSON object as (key, value-as-text) pairs,
// for equality search on extension attributes. Strings are unquoted.
std::vector<std::pair<std::string, std::string>> ScalarAttributes(std::string_view raw_object);

// Flag names on the wire, e.g. "cold_chain".
std::vector<std::string_view> FlagNames(uint32_t flags);
bool ParseFlag(std::string_view name, uint32_t* bit);
// A JSON array of flag names, ORed into `out`; an unknown name is refused
// with `reason` and the message "'<name>' " + `unknown` at its element.
Status ReadFlags(value v, const std::string& pointer, const char* reason,
                 const std::string& unknown, uint32_t* out);

}  // namespace orderhub::codec
