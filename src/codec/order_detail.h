// The compact encoding of what the engine keeps of an order but never
// decides on: prices, address, windows, carrier preference. Binary, because
// it is held in memory for every open order (engine/order_record.h): field
// names and JSON punctuation would double its size. Only this file and
// order_codec.cc read it; it is never sent, and stored only in snapshots.
//
// Personal fields are kept twice, neither time raw: masked (what every
// answer shows, so rendering needs no key) and sealed together under the
// data keys (crypto/crypto.h), opened only to unmask. Keyed hashes of the
// phone and e-mail find orders by them. The e-mail (masked form and hash)
// comes last and only when there is one, so details written before e-mails
// existed still decode.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"
#include "crypto/crypto.h"
#include "model/order.h"

namespace orderhub::codec {

struct OrderDetail {
  std::string_view currency, country, region_code, postal_code;
  std::string_view address, name, phone;  // masked
  std::string_view sealed_personal;       // the raw address, name and phone, sealed
  uint64_t phone_index = 0;               // DataKeys::IndexHash of the raw phone; 0 without a phone
  std::string_view email;                 // masked; empty without one
  uint64_t email_index = 0;               // IndexHash of the raw e-mail, lower-cased; 0 without one
  std::string_view carrier_preference;
  Micros window_start = 0, window_end = 0, promise_at = 0;
};

// The raw personal fields, once opened.
struct PersonalData {
  std::string address, name, phone, email;
};

struct LineDetail {
  int64_t unit_price = 0, discount = 0;
  bool service = false;
  Micros appointment_start = 0, appointment_end = 0;
  std::string_view attributes;  // raw JSON object, empty when none
};

std::string EncodeOrderDetail(const model::Order& o, const crypto::DataKeys& keys);
std::string EncodeLineDetail(const model::Line& l);
// False on a malformed encoding (never for what Encode* made).
bool DecodeOrderDetail(std::string_view in, OrderDetail* out);
bool DecodeLineDetail(std::string_view in, LineDetail* out);
Result<PersonalData> OpenPersonal(const OrderDetail& d, const crypto::DataKeys& keys);
// What an e-mail's keyed hash is taken of: the address lower-cased, so that
// a search finds it however it was capitalised.
std::string EmailKey(std::string_view email);

}  // namespace orderhub::codec
