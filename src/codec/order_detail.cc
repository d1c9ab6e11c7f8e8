#include "codec/order_detail.h"

#include "access/access.h"
#include "base/varint.h"

namespace orderhub::codec {

std::string EmailKey(std::string_view email) {
  std::string k(email);
  for (char& c : k) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return k;
}

std::string EncodeOrderDetail(const model::Order& o, const crypto::DataKeys& keys) {
  std::string out;
  out.append(o.currency.data(), 3);
  const model::Address& a = o.ship_to;
  std::string personal;
  for (std::string_view s : {std::string_view(a.detail), std::string_view(a.name), std::string_view(a.phone)}) {
    PutBytes(personal, s);
  }
  if (!a.email.empty()) PutBytes(personal, a.email);  // absent, not empty, in details from before e-mails
  for (std::string_view s : {std::string_view(a.country), std::string_view(a.region_code),
                             std::string_view(a.postal_code)}) {
    PutBytes(out, s);
  }
  PutBytes(out, access::MaskAddress(a.country, a.detail));
  PutBytes(out, access::MaskName(a.name));
  PutBytes(out, access::MaskPhone(a.phone));
  PutBytes(out, keys.Seal(personal));
  PutVarint(out, a.phone.empty() ? 0 : static_cast<int64_t>(keys.IndexHash(a.phone)));
  PutBytes(out, o.carrier_preference);
  PutVarint(out, o.window_start);
  PutVarint(out, o.window_end);
  PutVarint(out, o.promise_at);
  if (!a.email.empty()) {
    PutBytes(out, access::MaskEmail(a.email));
    PutVarint(out, static_cast<int64_t>(keys.IndexHash(EmailKey(a.email))));
  }
  return out;
}

bool DecodeOrderDetail(std::string_view in, OrderDetail* d) {
  if (in.size() < 3) return false;
  d->currency = in.substr(0, 3);
  VarintReader r(in.substr(3));
  int64_t phone_index = 0;
  const bool ok = r.Bytes(&d->country) && r.Bytes(&d->region_code) && r.Bytes(&d->postal_code) &&
                  r.Bytes(&d->address) && r.Bytes(&d->name) && r.Bytes(&d->phone) &&
                  r.Bytes(&d->sealed_personal) && r.Int(&phone_index) && r.Bytes(&d->carrier_preference) &&
                  r.Int(&d->window_start) && r.Int(&d->window_end) && r.Int(&d->promise_at);
  d->phone_index = static_cast<uint64_t>(phone_index);
  d->email = {};
  d->email_index = 0;
  if (!ok) return false;
  if (r.rest().empty()) return true;  // no e-mail
  int64_t email_index = 0;
  if (!r.Bytes(&d->email) || !r.Int(&email_index) || !r.rest().empty()) return false;
  d->email_index = static_cast<uint64_t>(email_index);
  return true;
}

Result<PersonalData> OpenPersonal(const OrderDetail& d, const crypto::DataKeys& keys) {
  auto plain = keys.Open(d.sealed_personal);
  if (!plain.ok()) return plain.status();
  VarintReader r(*plain);
  std::string_view address, name, phone, email;
  if (!r.Bytes(&address) || !r.Bytes(&name) || !r.Bytes(&phone) ||
      (!r.rest().empty() && !r.Bytes(&email)) || !r.rest().empty()) {
    return Status::Corruption("sealed personal data of an unknown layout");
  }
  return PersonalData{std::string(address), std::string(name), std::string(phone), std::string(email)};
}

std::string EncodeLineDetail(const model::Line& l) {
  std::string out;
  PutVarint(out, l.unit_price);
  PutVarint(out, l.discount);
  PutVarint(out, l.is_service ? 1 : 0);
  if (l.is_service) {
    PutVarint(out, l.appointment_start);
    PutVarint(out, l.appointment_end);
  }
  out.append(l.attributes);  // the rest of the encoding
  return out;
}

bool DecodeLineDetail(std::string_view in, LineDetail* d) {
  VarintReader r(in);
  int64_t service;
  if (!r.Int(&d->unit_price) || !r.Int(&d->discount) || !r.Int(&service)) return false;
  d->service = service != 0;
  if (d->service && !(r.Int(&d->appointment_start) && r.Int(&d->appointment_end))) return false;
  d->attributes = r.rest();
  return true;
}

}  // namespace orderhub::codec
