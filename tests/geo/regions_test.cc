// The built-in region table and distances.
#include "geo/geo.h"

#include <gtest/gtest.h>

namespace orderhub::geo {
namespace {

TEST(Regions, FindsCountiesCitiesAndProvincesByCode) {
  const Regions& r = Regions::China();
  EXPECT_EQ(r.prefectures().size(), 337u);
  EXPECT_EQ(r.counties().size(), 2846u - 6);  // six XPCC cities have no coordinate
  const Region* pudong = r.Find("310115");
  ASSERT_NE(pudong, nullptr);
  EXPECT_EQ(pudong->name, "浦东新区");
  EXPECT_EQ(pudong->city_code, "310100");
  EXPECT_EQ(pudong->level, Level::kCounty);
  const Region* guangzhou = r.Find("440100");
  ASSERT_NE(guangzhou, nullptr);
  EXPECT_EQ(guangzhou->level, Level::kPrefecture);
  ASSERT_NE(r.Find("440000"), nullptr);  // a province: its capital
  EXPECT_EQ(r.Find("440000")->code, "440100");
  EXPECT_EQ(r.Find("999999"), nullptr);
  EXPECT_EQ(r.Find("4401"), nullptr);
  EXPECT_EQ(r.Find("659005"), nullptr);  // no coordinate
}

TEST(Regions, GreatCircleDistancesMatchKnownCityPairs) {
  const Regions& r = Regions::China();
  // Beijing - Shanghai is about 1,070 km as the crow flies; Guangzhou - Shenzhen about 105 km.
  EXPECT_NEAR(GreatCircleKm(r.Find("110100")->at, r.Find("310100")->at), 1068, 15);
  EXPECT_NEAR(GreatCircleKm(r.Find("440100")->at, r.Find("440300")->at), 105, 10);
  EXPECT_DOUBLE_EQ(GreatCircleKm(r.Find("440100")->at, r.Find("440100")->at), 0);
}

TEST(Regions, CountsDistrictsAsTheSizeProxy) {
  EXPECT_EQ(Regions::China().Districts("310100"), 16);  // Shanghai
  EXPECT_GT(Regions::China().Districts("440100"), Regions::China().Districts("441400"));  // Guangzhou > Meizhou
}

}  // namespace
}  // namespace orderhub::geo
