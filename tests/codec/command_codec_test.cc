// Journal bodies of created orders: sealed as binary now, and every form an
// earlier journal holds ("sealed:" with base64, plain JSON) still replays to
// the same command.
#include "codec/command_codec.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <variant>

#include "engine/command.h"
#include "testing/test_keys.h"

namespace orderhub::codec {
namespace {

using orderhub::testing::TestKeys;

constexpr char kBody[] =
    R"({"channel":"tmall","channel_order_id":"W1","customer_id":"C1","currency":"CNY","paid":true,)"
    R"("lines":[{"sku":"A","quantity":2,"unit_price":100}],)"
    R"("ship_to":{"region_code":"310115","address":"浦东新区世纪大道100号","name":"张三","phone":"13800138000"}})";

store::JournalRecord Record(std::string body) {
  store::JournalRecord r;
  r.tenant = "t1";
  r.kind = kCreateOrder;
  r.target = "01JC0Z8X6M4B1T9P2R3S5V7W8Y";
  r.body = std::move(body);
  return r;
}

// What the journal held before binary bodies: "sealed:" and base64.
std::string TextSealed(std::string_view body) {
  const std::string sealed = TestKeys().Seal(body);
  std::string b64((sealed.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(sealed.data()), static_cast<int>(sealed.size()));
  b64.resize(static_cast<size_t>(n));
  return "sealed:" + b64;
}

engine::CreateOrder Decoded(const std::string& body) {
  auto c = DecodeCommand(Record(body), TestKeys());
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  if (!c.ok()) return {};
  return std::get<engine::CreateOrder>(*c);
}

TEST(CommandCodecTest, ASealedBodyIsBinaryAndHoldsNothingReadable) {
  const std::string sealed = SealBody(kBody, TestKeys());
  ASSERT_FALSE(sealed.empty());
  EXPECT_EQ(sealed[0], kSealedBody);
  // Strings of six bytes or more: a shorter one turns up in random bytes.
  for (const char* raw : {"张三", "13800138000", "世纪大道", "channel_order_id"}) {
    EXPECT_EQ(sealed.find(raw), std::string::npos) << raw;
  }
  // No base64: about the plain body's size (key id, nonce and tag on top).
  EXPECT_LT(sealed.size(), sizeof kBody + 40);
}

TEST(CommandCodecTest, EveryJournalFormOfABodyReplaysToTheSameOrder) {
  const engine::CreateOrder plain = Decoded(kBody);
  ASSERT_EQ(plain.order.lines.size(), 1u);
  for (const std::string& body : {SealBody(kBody, TestKeys()), TextSealed(kBody)}) {
    const engine::CreateOrder c = Decoded(body);
    EXPECT_EQ(c.order.channel_order_id, plain.order.channel_order_id);
    EXPECT_EQ(c.order.customer_id, plain.order.customer_id);
    ASSERT_EQ(c.order.lines.size(), 1u);
    EXPECT_EQ(c.order.lines[0].sku, "A");
    EXPECT_EQ(c.order.lines[0].quantity, 2);
    EXPECT_EQ(c.order.ship_to.name, plain.order.ship_to.name);
    EXPECT_EQ(c.order.ship_to.phone, plain.order.ship_to.phone);
  }
}

TEST(CommandCodecTest, AnAlteredSealedBodyIsRefusedNotReplayed) {
  std::string sealed = SealBody(kBody, TestKeys());
  sealed[sealed.size() / 2] ^= 1;
  auto c = DecodeCommand(Record(sealed), TestKeys());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kCorruption) << c.status().ToString();
  EXPECT_FALSE(DecodeCommand(Record(std::string(1, kSealedBody)), TestKeys()).ok());
}

}  // namespace
}  // namespace orderhub::codec
