// Chinese administrative regions (GB/T 2260) with coordinates, and
// great-circle distance. The table is data/geo/cn_counties.csv and
// cn_prefecture_cities.csv compiled into the binary (sources and licences:
// data/geo/README.md). Coordinates are GCJ-02; at city-to-city distances
// the offset from WGS-84 (a few hundred metres) does not matter.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

namespace orderhub::geo {

struct Point {
  double lat = 0, lng = 0;
};

// Great-circle (haversine) distance in kilometres.
double GreatCircleKm(Point a, Point b);

// A point as a unit vector: distances between many points and one are
// then a subtraction, a square root and an arcsine (routing's hot path).
struct UnitVector {
  double x = 0, y = 0, z = 0;
};
UnitVector ToUnitVector(Point p);
// The same distance as GreatCircleKm, from unit vectors.
double GreatCircleKm(const UnitVector& a, const UnitVector& b);

enum class Level : uint8_t { kPrefecture, kCounty };

struct Region {
  std::string_view code;       // 6 digits
  std::string_view city_code;  // the prefecture (itself for a prefecture)
  std::string_view province;   // Chinese name
  std::string_view name;       // the city's, or the county's
  Point at;
  Level level = Level::kCounty;
};

class Regions {
 public:
  // The built-in table (parsed once, thread-safe).
  static const Regions& China();

  // A county or prefecture by its code; a province code (xx0000) gives its
  // first prefecture, which is the capital for every province but a few
  // (documented in data/geo/README.md). Null when unknown or without a
  // coordinate.
  const Region* Find(std::string_view code) const;
  std::span<const Region> prefectures() const { return prefectures_; }
  std::span<const Region> counties() const { return counties_; }
  // Districts (区) of a prefecture: the instance generator's proxy for a
  // city's size (bench/routing_instances.h).
  int Districts(std::string_view city_code) const;

 private:
  Regions();
  // Six digits as a number; kNotACode for anything else.
  static constexpr uint32_t kNotACode = UINT32_MAX;
  static uint32_t Number(std::string_view code);

  std::vector<Region> prefectures_, counties_;  // sorted by code
  // Every code Find answers, by number: a decision looks up two.
  absl::flat_hash_map<uint32_t, const Region*> by_number_;
};

}  // namespace orderhub::geo
