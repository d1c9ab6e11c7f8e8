// The stored form of a decision: its values, not its JSON. A routed
// order's event keeps the decision with its alternatives; as JSON that is
// about 2 KB a decision, which spilled the order_events rows onto overflow
// pages and made the committer render every reason on the create path.
// Packed it is a few hundred bytes and renders when somebody reads it.
//
// Layout (all integers zigzag varints, base/varint.h): a format version;
// the node codes; the split penalty; a base time; the plans, each with its
// parcels; the problems. Format 2 added each parcel's transfers, format 3
// the units of a parcel that carries part of a line (older formats still
// read). Times are offsets from the base. Fractional values are kept as
// integers at a thousandth of the precision the JSON shows (a thousandth of
// a fen for money-equivalents, 1e-6 for probabilities and load, a metre, a
// gram of CO2e), so what is read back renders as it would have at once.

#include <cmath>
#include <limits>

#include "base/varint.h"
#include "routing/routing.h"

namespace orderhub::routing {
namespace {

constexpr int64_t kFormat = 3;
constexpr double kMoney = 1e3, kProbability = 1e6, kKm = 1e3, kKg = 1e6;

int64_t Fixed(double v, double scale) {
  constexpr double kLimit = 4e18;  // inside int64; no decision value comes near
  const double x = v * scale;
  if (!(x > -kLimit)) return x != x ? 0 : static_cast<int64_t>(-kLimit);
  if (x > kLimit) return static_cast<int64_t>(kLimit);
  return std::llround(x);
}

class Unpacker {
 public:
  explicit Unpacker(std::string_view in) : r_(in) {}
  bool Int(int64_t* v) { return r_.Int(v); }
  template <typename T>
  bool Whole(T* v) {
    int64_t x;
    if (!r_.Int(&x) || x < 0 || static_cast<uint64_t>(x) > std::numeric_limits<T>::max()) return false;
    *v = static_cast<T>(x);
    return true;
  }
  bool Real(double* v, double scale) {
    int64_t x;
    if (!r_.Int(&x)) return false;
    *v = static_cast<double>(x) / scale;
    return true;
  }
  bool Text(std::string* s) {
    std::string_view v;
    if (!r_.Bytes(&v)) return false;
    s->assign(v);
    return true;
  }
  // A count of items that take at least a byte each: never more than is left.
  bool Count(size_t* n) { return Whole(n) && *n <= r_.rest().size(); }
  bool AtEnd() const { return r_.rest().empty(); }

 private:
  VarintReader r_;
};

}  // namespace

void PackDecision(const Decision& d, std::span<const std::string> node_codes, std::string* out) {
  std::string& o = *out;
  PutVarint(o, kFormat);
  PutVarint(o, static_cast<int64_t>(node_codes.size()));
  for (const std::string& c : node_codes) PutBytes(o, c);
  PutVarint(o, d.split_penalty);
  const Micros base = d.plans.empty() ? 0 : d.plans[0].eta_p50;
  PutVarint(o, base);
  PutVarint(o, static_cast<int64_t>(d.plans.size()));
  for (const Plan& p : d.plans) {
    PutVarint(o, p.cost);
    PutVarint(o, p.eta_p50 - base);
    PutVarint(o, p.eta_p90 - base);
    PutVarint(o, Fixed(p.p_on_time, kProbability));
    PutVarint(o, Fixed(p.distance_km, kKm));
    PutVarint(o, Fixed(p.carbon_kg, kKg));
    for (double part : {p.parts.cost, p.parts.lateness, p.parts.time, p.parts.carbon, p.parts.load, p.score}) {
      PutVarint(o, Fixed(part, kMoney));
    }
    PutVarint(o, static_cast<int64_t>(p.shipments.size()));
    for (const Shipment& s : p.shipments) {
      PutVarint(o, s.node);
      PutVarint(o, static_cast<int64_t>(s.lines.size()));
      for (uint32_t l : s.lines) PutVarint(o, l);
      PutVarint(o, static_cast<int64_t>(s.quantities.size()));  // 0, or one per line
      for (int64_t q : s.quantities) PutVarint(o, q);
      PutBytes(o, s.carrier);
      PutVarint(o, static_cast<int64_t>(s.level));
      PutVarint(o, s.shipping);
      PutVarint(o, s.handling);
      PutVarint(o, s.pickup_at - base);
      PutVarint(o, s.eta_p50 - base);
      PutVarint(o, s.eta_p90 - base);
      PutVarint(o, Fixed(s.p_on_time, kProbability));
      PutVarint(o, Fixed(s.distance_km, kKm));
      PutVarint(o, Fixed(s.carbon_kg, kKg));
      PutVarint(o, Fixed(s.load_after, kProbability));
      PutVarint(o, static_cast<int64_t>(s.transfers.size()));
      for (const Shipment::Leg& l : s.transfers) {
        PutVarint(o, l.line);
        PutVarint(o, l.from);
        PutVarint(o, Fixed(l.hours, kKm));  // to the thousandth, as distances
      }
      if (!s.transfers.empty()) PutVarint(o, s.transfer_cost);
    }
  }
  PutVarint(o, static_cast<int64_t>(d.problems.size()));
  for (const LineProblem& p : d.problems) {
    PutVarint(o, p.line);
    PutBytes(o, p.reason);
    PutBytes(o, p.detail);
  }
}

bool UnpackDecision(std::string_view in, Decision* d, std::vector<std::string>* node_codes) {
  Unpacker u(in);
  int64_t format, base;
  size_t n;
  if (!u.Int(&format) || format < 1 || format > kFormat || !u.Count(&n)) return false;
  node_codes->resize(n);
  for (std::string& c : *node_codes) {
    if (!u.Text(&c)) return false;
  }
  if (!u.Int(&d->split_penalty) || !u.Int(&base) || !u.Count(&n)) return false;
  d->plans.resize(n);
  auto time = [&](Micros* t) {
    int64_t offset;
    if (!u.Int(&offset)) return false;
    *t = static_cast<Micros>(static_cast<uint64_t>(base) + static_cast<uint64_t>(offset));  // wraps, never UB
    return true;
  };
  for (Plan& p : d->plans) {
    if (!u.Int(&p.cost) || !time(&p.eta_p50) || !time(&p.eta_p90) || !u.Real(&p.p_on_time, kProbability) ||
        !u.Real(&p.distance_km, kKm) || !u.Real(&p.carbon_kg, kKg)) {
      return false;
    }
    for (double* part : {&p.parts.cost, &p.parts.lateness, &p.parts.time, &p.parts.carbon, &p.parts.load, &p.score}) {
      if (!u.Real(part, kMoney)) return false;
    }
    if (!u.Count(&n)) return false;
    p.shipments.resize(n);
    for (Shipment& s : p.shipments) {
      uint8_t level;
      if (!u.Whole(&s.node) || s.node >= node_codes->size() || !u.Count(&n)) return false;
      s.lines.resize(n);
      for (uint32_t& l : s.lines) {
        if (!u.Whole(&l)) return false;
      }
      s.quantities.clear();
      if (format >= 3) {
        if (!u.Count(&n) || (n != 0 && n != s.lines.size())) return false;
        s.quantities.resize(n);
        for (int64_t& q : s.quantities) {
          if (!u.Whole(&q)) return false;
        }
      }
      if (!u.Text(&s.carrier) || !u.Whole(&level) || level > static_cast<uint8_t>(ServiceLevel::kFreight)) {
        return false;
      }
      s.level = static_cast<ServiceLevel>(level);
      if (!u.Int(&s.shipping) || !u.Int(&s.handling) || !time(&s.pickup_at) || !time(&s.eta_p50) ||
          !time(&s.eta_p90) || !u.Real(&s.p_on_time, kProbability) || !u.Real(&s.distance_km, kKm) ||
          !u.Real(&s.carbon_kg, kKg) || !u.Real(&s.load_after, kProbability)) {
        return false;
      }
      s.transfers.clear();
      s.transfer_cost = 0;
      if (format < 2) continue;
      if (!u.Count(&n)) return false;
      s.transfers.resize(n);
      for (Shipment::Leg& l : s.transfers) {
        if (!u.Whole(&l.line) || !u.Whole(&l.from) || l.from >= node_codes->size() || !u.Real(&l.hours, kKm)) {
          return false;
        }
      }
      if (n > 0 && !u.Int(&s.transfer_cost)) return false;
    }
  }
  if (!u.Count(&n)) return false;
  d->problems.resize(n);
  for (LineProblem& p : d->problems) {
    if (!u.Whole(&p.line) || !u.Text(&p.reason) || !u.Text(&p.detail)) return false;
  }
  return u.AtEnd();
}

}  // namespace orderhub::routing
