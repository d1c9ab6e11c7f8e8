#include "codec/order_detail.h"

#include "access/access.h"

namespace orderhub::codec {
namespace {

// Zigzag varints: small magnitudes of either sign take few bytes.
void PutInt(std::string& out, int64_t v) {
  uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  while (u >= 0x80) {
    out.push_back(static_cast<char>(u | 0x80));
    u >>= 7;
  }
  out.push_back(static_cast<char>(u));
}

void PutString(std::string& out, std::string_view s) {
  PutInt(out, static_cast<int64_t>(s.size()));
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Int(int64_t* v) {
    uint64_t u = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return false;
      const auto b = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      u |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
        return true;
      }
    }
    return false;
  }
  bool String(std::string_view* s) {
    int64_t n;
    if (!Int(&n) || n < 0 || static_cast<uint64_t>(n) > in_.size()) return false;
    *s = in_.substr(0, static_cast<size_t>(n));
    in_.remove_prefix(static_cast<size_t>(n));
    return true;
  }
  std::string_view rest() const { return in_; }

 private:
  std::string_view in_;
};

}  // namespace

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
    PutString(personal, s);
  }
  if (!a.email.empty()) PutString(personal, a.email);  // absent, not empty, in details from before e-mails
  for (std::string_view s : {std::string_view(a.country), std::string_view(a.region_code),
                             std::string_view(a.postal_code)}) {
    PutString(out, s);
  }
  PutString(out, access::MaskAddress(a.country, a.detail));
  PutString(out, access::MaskName(a.name));
  PutString(out, access::MaskPhone(a.phone));
  PutString(out, keys.Seal(personal));
  PutInt(out, a.phone.empty() ? 0 : static_cast<int64_t>(keys.IndexHash(a.phone)));
  PutString(out, o.carrier_preference);
  PutInt(out, o.window_start);
  PutInt(out, o.window_end);
  PutInt(out, o.promise_at);
  if (!a.email.empty()) {
    PutString(out, access::MaskEmail(a.email));
    PutInt(out, static_cast<int64_t>(keys.IndexHash(EmailKey(a.email))));
  }
  return out;
}

bool DecodeOrderDetail(std::string_view in, OrderDetail* d) {
  if (in.size() < 3) return false;
  d->currency = in.substr(0, 3);
  Reader r(in.substr(3));
  int64_t phone_index = 0;
  const bool ok = r.String(&d->country) && r.String(&d->region_code) && r.String(&d->postal_code) &&
                  r.String(&d->address) && r.String(&d->name) && r.String(&d->phone) &&
                  r.String(&d->sealed_personal) && r.Int(&phone_index) && r.String(&d->carrier_preference) &&
                  r.Int(&d->window_start) && r.Int(&d->window_end) && r.Int(&d->promise_at);
  d->phone_index = static_cast<uint64_t>(phone_index);
  d->email = {};
  d->email_index = 0;
  if (!ok) return false;
  if (r.rest().empty()) return true;  // no e-mail
  int64_t email_index = 0;
  if (!r.String(&d->email) || !r.Int(&email_index) || !r.rest().empty()) return false;
  d->email_index = static_cast<uint64_t>(email_index);
  return true;
}

Result<PersonalData> OpenPersonal(const OrderDetail& d, const crypto::DataKeys& keys) {
  auto plain = keys.Open(d.sealed_personal);
  if (!plain.ok()) return plain.status();
  Reader r(*plain);
  std::string_view address, name, phone, email;
  if (!r.String(&address) || !r.String(&name) || !r.String(&phone) ||
      (!r.rest().empty() && !r.String(&email)) || !r.rest().empty()) {
    return Status::Corruption("sealed personal data of an unknown layout");
  }
  return PersonalData{std::string(address), std::string(name), std::string(phone), std::string(email)};
}

std::string EncodeLineDetail(const model::Line& l) {
  std::string out;
  PutInt(out, l.unit_price);
  PutInt(out, l.discount);
  PutInt(out, l.is_service ? 1 : 0);
  if (l.is_service) {
    PutInt(out, l.appointment_start);
    PutInt(out, l.appointment_end);
  }
  out.append(l.attributes);  // the rest of the encoding
  return out;
}

bool DecodeLineDetail(std::string_view in, LineDetail* d) {
  Reader r(in);
  int64_t service;
  if (!r.Int(&d->unit_price) || !r.Int(&d->discount) || !r.Int(&service)) return false;
  d->service = service != 0;
  if (d->service && !(r.Int(&d->appointment_start) && r.Int(&d->appointment_end))) return false;
  d->attributes = r.rest();
  return true;
}

}  // namespace orderhub::codec
