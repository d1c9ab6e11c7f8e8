#include <algorithm>
#include <cmath>
#include <string>

#include "geo/geo.h"
#include "geo_cn_counties.h"
#include "geo_cn_prefectures.h"

namespace orderhub::geo {
namespace {

std::vector<std::string_view> SplitCsvLine(std::string_view line) {
  // The files have no quoted fields (checked by RegionsTest).
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      out.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// Calls fn(fields) for every data line of a CSV text with a header line.
template <typename F>
void ForEachRow(std::string_view text, F&& fn) {
  bool header = true;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    fn(SplitCsvLine(line));
  }
}

double ToDouble(std::string_view s) { return s.empty() ? NAN : std::stod(std::string(s)); }

}  // namespace

uint32_t Regions::Number(std::string_view code) {
  if (code.size() != 6) return kNotACode;
  uint32_t n = 0;
  for (char c : code) {
    if (c < '0' || c > '9') return kNotACode;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  return n;
}

double GreatCircleKm(Point a, Point b) {
  constexpr double kEarthKm = 6371.0088, kRad = M_PI / 180.0;
  const double dlat = (b.lat - a.lat) * kRad, dlng = (b.lng - a.lng) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.lat * kRad) * std::cos(b.lat * kRad) * std::sin(dlng / 2) * std::sin(dlng / 2);
  return 2 * kEarthKm * std::asin(std::min(1.0, std::sqrt(h)));
}

UnitVector ToUnitVector(Point p) {
  constexpr double kRad = M_PI / 180.0;
  const double lat = p.lat * kRad, lng = p.lng * kRad;
  return UnitVector{std::cos(lat) * std::cos(lng), std::cos(lat) * std::sin(lng), std::sin(lat)};
}

double GreatCircleKm(const UnitVector& a, const UnitVector& b) {
  constexpr double kEarthKm = 6371.0088;
  const double dx = a.x - b.x, dy = a.y - b.y, dz = a.z - b.z;
  const double chord = std::sqrt(dx * dx + dy * dy + dz * dz);
  return 2 * kEarthKm * std::asin(std::min(1.0, chord / 2));
}

Regions::Regions() {
  // code,province_code,province,city,municipality,lng,lat,coord_match
  ForEachRow(kCnPrefectures, [&](const std::vector<std::string_view>& f) {
    if (f.size() < 8 || f[5].empty()) return;
    prefectures_.push_back(Region{f[0], f[0], f[2], f[3], Point{ToDouble(f[6]), ToDouble(f[5])}, Level::kPrefecture});
  });
  // code,city_code,province,city,county,lng,lat,coord_match
  ForEachRow(kCnCounties, [&](const std::vector<std::string_view>& f) {
    if (f.size() < 8 || f[5].empty()) return;  // six XPCC cities have no coordinate
    counties_.push_back(Region{f[0], f[1], f[2], f[4], Point{ToDouble(f[6]), ToDouble(f[5])}, Level::kCounty});
  });
  auto by_code = [](const Region& a, const Region& b) { return a.code < b.code; };
  std::sort(prefectures_.begin(), prefectures_.end(), by_code);
  std::sort(counties_.begin(), counties_.end(), by_code);
  // Counties win over prefectures of the same code; a province code names
  // its first prefecture.
  for (const std::vector<Region>* table : {&counties_, &prefectures_}) {
    for (const Region& r : *table) by_number_.try_emplace(Number(r.code), &r);
  }
  for (const Region& r : prefectures_) by_number_.try_emplace(Number(r.code) / 10000 * 10000, &r);
}

const Regions& Regions::China() {
  static const Regions regions;
  return regions;
}

const Region* Regions::Find(std::string_view code) const {
  const uint32_t n = Number(code);
  if (n == kNotACode) return nullptr;
  const auto it = by_number_.find(n);
  return it == by_number_.end() ? nullptr : it->second;
}

int Regions::Districts(std::string_view city_code) const {
  int n = 0;
  for (const Region& c : counties_) {
    if (c.city_code == city_code && c.name.size() >= 3 && c.name.substr(c.name.size() - 3) == "区") ++n;
  }
  return n;
}

}  // namespace orderhub::geo
