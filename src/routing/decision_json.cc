#include <algorithm>
#include <array>
#include <cmath>

#include "base/json_writer.h"
#include "routing/routing.h"

namespace orderhub::routing {
namespace {

std::string Money(double minor) {
  const int64_t fen = std::llround(minor);
  const int64_t a = fen < 0 ? -fen : fen;
  std::string out = fen < 0 ? "-¥" : "¥";
  out += std::to_string(a / 100);
  out += '.';
  out += static_cast<char>('0' + a % 100 / 10);
  out += static_cast<char>('0' + a % 10);
  return out;
}

std::string Percent(double p) { return std::to_string(std::llround(p * 100)) + "%"; }

std::string Parcels(const Plan& p) {
  return p.shipments.size() == 1 ? std::string("one parcel") : std::to_string(p.shipments.size()) + " parcels";
}

// Money-equivalents rounded to the fen, probabilities to 4 places, km and kg to 0.1.
double Round(double v, double unit) { return std::round(v / unit) * unit; }

template <typename CodeOf>
void WriteShipment(JsonWriter& w, const Shipment& s, const CodeOf& code_of) {
  w.BeginObject().Field("node", code_of(s.node));
  w.Key("lines").BeginArray();
  for (uint32_t l : s.lines) w.Int(l);
  w.EndArray();
  if (!s.quantities.empty()) {
    w.Key("quantities").BeginArray();
    for (int64_t q : s.quantities) w.Int(q);
    w.EndArray();
  }
  w.Field("carrier", s.carrier).Field("level", ServiceLevelName(s.level));
  w.Field("shipping", s.shipping).Field("handling", s.handling);
  w.Field("pickup_at", FormatRfc3339(s.pickup_at)).Field("eta_p50", FormatRfc3339(s.eta_p50));
  w.Field("eta_p90", FormatRfc3339(s.eta_p90));
  w.Key("p_on_time").Double(Round(s.p_on_time, 1e-4));
  w.Key("distance_km").Double(Round(s.distance_km, 0.1));
  w.Key("carbon_kg").Double(Round(s.carbon_kg, 1e-3));
  w.Key("load_after").Double(Round(s.load_after, 1e-4));
  if (!s.transfers.empty()) {
    w.Key("transfers").BeginArray();
    for (const Shipment::Leg& l : s.transfers) {
      w.BeginObject().Field("line", static_cast<int64_t>(l.line)).Field("from", code_of(l.from));
      w.Key("hours").Double(Round(l.hours, 0.1));
      w.EndObject();
    }
    w.EndArray();
    w.Field("transfer_cost", s.transfer_cost);
  }
  w.EndObject();
}

}  // namespace

std::vector<std::string> Reasons(const Decision& d, size_t plan) {
  std::vector<std::string> r;
  const Plan& best = d.plans[0];
  if (plan == 0) {
    r.push_back("lowest score " + Money(best.score) + ": " + Parcels(best) + ", cost " + Money(best.parts.cost) +
                ", on time " + Percent(best.p_on_time));
    for (const Shipment& s : best.shipments) {
      if (s.transfers.empty()) continue;
      double hours = 0;
      for (const Shipment::Leg& l : s.transfers) hours = std::max(hours, l.hours);
      r.push_back(std::to_string(s.transfers.size()) + (s.transfers.size() == 1 ? " line" : " lines") +
                  " brought in by transfer first (" + std::to_string(std::llround(hours)) + " h, " +
                  Money(static_cast<double>(s.transfer_cost)) + ") to ship together");
    }
    // Lines whose units come from several nodes: none holds them all.
    std::vector<std::pair<uint32_t, int>> split;  // line, parcels carrying part of it
    for (const Shipment& s : best.shipments) {
      for (size_t k = 0; k < s.quantities.size(); ++k) {
        auto it = std::find_if(split.begin(), split.end(), [&](const auto& x) { return x.first == s.lines[k]; });
        if (it == split.end()) {
          split.emplace_back(s.lines[k], 1);
        } else {
          ++it->second;
        }
      }
    }
    for (const auto& [line, parcels] : split) {
      if (parcels < 2) continue;
      r.push_back("line " + std::to_string(line) + " split between " + std::to_string(parcels) +
                  " nodes: no node can fill it alone");
    }
    // Why not something cheaper, when there is one.
    for (size_t i = 1; i < d.plans.size(); ++i) {
      const Plan& alt = d.plans[i];
      if (alt.parts.cost < best.parts.cost) {
        r.push_back(Money(best.parts.cost - alt.parts.cost) + " dearer than alternative " + std::to_string(i) +
                    ", which is on time " + Percent(alt.p_on_time) + " instead of " + Percent(best.p_on_time));
        break;
      }
    }
    return r;
  }
  const Plan& alt = d.plans[plan];
  r.push_back("score " + Money(alt.score - best.score) + " above the chosen plan");
  // The parts where it loses most, largest first.
  std::array<std::pair<double, std::string>, 5> worse = {{
      {alt.parts.cost - best.parts.cost,
       "cost " + Money(alt.parts.cost - best.parts.cost) +
           (alt.shipments.size() > best.shipments.size()
                ? " (" + Parcels(alt) + ", split penalty " + Money(static_cast<double>(d.split_penalty)) + " each)"
                : "")},
      {alt.parts.lateness - best.parts.lateness,
       "on time " + Percent(alt.p_on_time) + " instead of " + Percent(best.p_on_time)},
      {alt.parts.time - best.parts.time,
       "arrives " + std::to_string((alt.eta_p50 - best.eta_p50) / (3600 * kMicrosPerSecond)) + " h later (p50)"},
      {alt.parts.carbon - best.parts.carbon, "more carbon"},
      {alt.parts.load - best.parts.load, "busier node"},
  }};
  std::sort(worse.begin(), worse.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [delta, text] : worse) {
    if (delta >= 1 && r.size() < 3) r.push_back(text);
  }
  return r;
}

namespace {

template <typename CodeOf>
std::string Render(const Decision& d, const CodeOf& code_of) {
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
    for (const Shipment& s : p.shipments) WriteShipment(w, s, code_of);
    w.EndArray();
    w.Key("reasons").BeginArray();
    for (const std::string& r : Reasons(d, i)) w.String(r);
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

}  // namespace

std::string DecisionJson(const Decision& d, const Network& n) {
  return Render(d, [&](uint32_t node) -> const std::string& { return n.nodes()[node].code; });
}

std::string DecisionJson(const Decision& d, std::span<const std::string> node_codes) {
  return Render(d, [&](uint32_t node) -> const std::string& { return node_codes[node]; });
}

std::vector<std::string> DetachNodes(Decision* d, const Network& n) {
  std::vector<std::string> codes;
  std::vector<uint32_t> seen;  // network node by position in codes; a decision names a handful
  auto detach = [&](uint32_t* node) {
    const size_t at = static_cast<size_t>(std::find(seen.begin(), seen.end(), *node) - seen.begin());
    if (at == seen.size()) {
      seen.push_back(*node);
      codes.push_back(n.nodes()[*node].code);
    }
    *node = static_cast<uint32_t>(at);
  };
  for (Plan& p : d->plans) {
    for (Shipment& s : p.shipments) {
      detach(&s.node);
      for (Shipment::Leg& l : s.transfers) detach(&l.from);
    }
  }
  return codes;
}

}  // namespace orderhub::routing
