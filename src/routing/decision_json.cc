#include <cmath>

#include "base/json_writer.h"
#include "routing/routing.h"

namespace orderhub::routing {
namespace {

// Money-equivalents rounded to the fen, probabilities to 4 places, km and kg to 0.1.
double Round(double v, double unit) { return std::round(v / unit) * unit; }

void WriteShipment(JsonWriter& w, const Shipment& s, const Network& n) {
  w.BeginObject().Field("node", n.nodes()[s.node].code);
  w.Key("lines").BeginArray();
  for (uint32_t l : s.lines) w.Int(l);
  w.EndArray();
  w.Field("carrier", s.carrier).Field("level", ServiceLevelName(s.level));
  w.Field("shipping", s.shipping).Field("handling", s.handling);
  w.Field("pickup_at", FormatRfc3339(s.pickup_at)).Field("eta_p50", FormatRfc3339(s.eta_p50));
  w.Field("eta_p90", FormatRfc3339(s.eta_p90));
  w.Key("p_on_time").Double(Round(s.p_on_time, 1e-4));
  w.Key("distance_km").Double(Round(s.distance_km, 0.1));
  w.Key("carbon_kg").Double(Round(s.carbon_kg, 1e-3));
  w.Key("load_after").Double(Round(s.load_after, 1e-4));
  w.EndObject();
}

}  // namespace

std::string DecisionJson(const Decision& d, const Network& n) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("routable", d.routable());
  w.Key("plans").BeginArray();
  for (size_t i = 0; i < d.plans.size(); ++i) {
    const Plan& p = d.plans[i];
    w.BeginObject().Field("rank", static_cast<int64_t>(i)).Field("chosen", i == 0);
    w.Key("score").Double(Round(p.score, 1));
    w.Field("cost", p.cost);
    w.Field("eta_p50", FormatRfc3339(p.eta_p50)).Field("eta_p90", FormatRfc3339(p.eta_p90));
    w.Key("p_on_time").Double(Round(p.p_on_time, 1e-4));
    w.Key("distance_km").Double(Round(p.distance_km, 0.1));
    w.Key("carbon_kg").Double(Round(p.carbon_kg, 1e-3));
    w.Key("score_parts").BeginObject();
    w.Key("cost").Double(Round(p.parts.cost, 1));
    w.Key("lateness").Double(Round(p.parts.lateness, 1));
    w.Key("time").Double(Round(p.parts.time, 1));
    w.Key("carbon").Double(Round(p.parts.carbon, 1));
    w.Key("load").Double(Round(p.parts.load, 1));
    w.EndObject();
    w.Key("shipments").BeginArray();
    for (const Shipment& s : p.shipments) WriteShipment(w, s, n);
    w.EndArray();
    w.Key("reasons").BeginArray();
    for (const std::string& r : p.reasons) w.String(r);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("problems").BeginArray();
  for (const LineProblem& p : d.problems) {
    w.BeginObject().Field("line", static_cast<int64_t>(p.line)).Field("reason", p.reason).Field("detail", p.detail);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace orderhub::routing
