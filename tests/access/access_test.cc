// Roles and masking as functions: the grant table's edges and the masked
// forms every response shows.
#include "access/access.h"

#include <gtest/gtest.h>

namespace orderhub::access {
namespace {

TEST(Roles, NamesRoundTripAndUnknownNamesAreRefused) {
  for (Role r : AllRoles()) EXPECT_EQ(ParseRole(RoleName(r)), r);
  EXPECT_EQ(AllRoles().size(), static_cast<size_t>(Role::kCount));
  EXPECT_FALSE(ParseRole("root").has_value());
  EXPECT_FALSE(ParseRole("Admin").has_value());
  EXPECT_FALSE(ParseRole("").has_value());
}

TEST(Roles, OnlyAdminAndCustomerServiceMayUnmaskAndOnlyAdminReadsTheAudit) {
  for (Role r : AllRoles()) {
    EXPECT_EQ(Allows(r, Permission::kPiiUnmask), r == Role::kAdmin || r == Role::kCustomerService) << RoleName(r);
    EXPECT_EQ(Allows(r, Permission::kAuditRead), r == Role::kAdmin) << RoleName(r);
  }
}

TEST(Masking, PhonesKeepThreeAndFourDigits) {
  EXPECT_EQ(MaskPhone("13812341234"), "138****1234");
  EXPECT_EQ(MaskEmail("alice@example.com"), "a***@example.com");
  EXPECT_EQ(MaskEmail("张三@example.cn"), "张***@example.cn");
  EXPECT_EQ(MaskEmail("@example.com"), "***");
  EXPECT_EQ(MaskPhone("+8613812341234"), "+86*******1234");
  EXPECT_EQ(MaskPhone("021-5555"), "021*5555");
  EXPECT_EQ(MaskPhone("95555"), "***55");  // short: fewer digits shown
  EXPECT_EQ(MaskPhone("110"), "***");
  EXPECT_EQ(MaskPhone(""), "");
}

TEST(Masking, NamesKeepTheirFirstCharacter) {
  EXPECT_EQ(MaskName("张三"), "张*");
  EXPECT_EQ(MaskName("欧阳娜娜"), "欧***");
  EXPECT_EQ(MaskName("John Smith"), "J*** *****");
  EXPECT_EQ(MaskName("李"), "李");
  EXPECT_EQ(MaskName(""), "");
}

TEST(Masking, AddressesAreCutAfterTheDistrict) {
  EXPECT_EQ(MaskAddress("CN", "浦东新区世纪大道100号"), "浦东新区***");
  EXPECT_EQ(MaskAddress("CN", "上海市浦东新区世纪大道100号"), "上海市浦东新区***");
  EXPECT_EQ(MaskAddress("CN", "昌平县城关镇1号"), "昌平县***");
  EXPECT_EQ(MaskAddress("CN", "义乌市福田街道88号"), "义乌市***");
  // A 区 after the house number names a block, not the district.
  EXPECT_EQ(MaskAddress("CN", "世纪大道100号3区"), "***");
  EXPECT_EQ(MaskAddress("CN", "世纪大道"), "***");
  EXPECT_EQ(MaskAddress("US", "1600 Amphitheatre Parkway"), "***");
  EXPECT_EQ(MaskAddress("CN", ""), "");
}

}  // namespace
}  // namespace orderhub::access
