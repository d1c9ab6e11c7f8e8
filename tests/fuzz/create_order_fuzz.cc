// Create-order bodies as a channel or attacker sends them: parsing never
// crashes, every refusal names a reason, and an accepted order's personal
// fields survive sealing and opening exactly.
#include "codec/order_codec.h"
#include "codec/order_detail.h"
#include "testing/test_keys.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orderhub;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto c = codec::ParseCreateOrder(body, "t1");
  if (!c.ok()) {
    OH_FUZZ_CHECK(!c.status().reason().empty());
    return 0;
  }
  codec::EncodeDetails(*c, testing::TestKeys());
  codec::OrderDetail d;
  OH_FUZZ_CHECK(codec::DecodeOrderDetail(c->detail, &d));
  auto raw = codec::OpenPersonal(d, testing::TestKeys());
  OH_FUZZ_CHECK(raw.ok());
  OH_FUZZ_CHECK(raw->name == c->order.ship_to.name && raw->phone == c->order.ship_to.phone &&
                raw->address == c->order.ship_to.detail);
  OH_FUZZ_CHECK(c->line_details.size() == c->order.lines.size());
  for (const std::string& l : c->line_details) {
    codec::LineDetail ld;
    OH_FUZZ_CHECK(codec::DecodeLineDetail(l, &ld));
  }
  return 0;
}
