// The compact encoding of what the engine keeps of an order but never
// decides on: prices, address, windows, carrier preference. Binary, because
// it is held in memory for every open order (engine/order_record.h): field
// names and JSON punctuation would double its size. Only this file and
// order_codec.cc read it; it is never stored or sent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/time.h"
#include "model/order.h"

namespace orderhub::codec {

struct OrderDetail {
  std::string_view currency, country, region_code, postal_code, address, name, phone, carrier_preference;
  Micros window_start = 0, window_end = 0, promise_at = 0;
};

struct LineDetail {
  int64_t unit_price = 0, discount = 0;
  bool service = false;
  Micros appointment_start = 0, appointment_end = 0;
  std::string_view attributes;  // raw JSON object, empty when none
};

std::string EncodeOrderDetail(const model::Order& o);
std::string EncodeLineDetail(const model::Line& l);
// False on a malformed encoding (never for what Encode* made).
bool DecodeOrderDetail(std::string_view in, OrderDetail* out);
bool DecodeLineDetail(std::string_view in, LineDetail* out);

}  // namespace orderhub::codec
