// Sealed data and key rings read back from disk or the environment: a ring
// text either loads or is refused; an arbitrary sealed value, journal body
// or order detail is refused cleanly unless it is genuine; stored event
// data renders as JSON, packed or not, whatever its bytes.
#include "codec/command_codec.h"
#include "codec/order_detail.h"
#include "crypto/crypto.h"
#include "engine/engine.h"
#include "testing/test_keys.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orderhub;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto ring = crypto::DataKeys::FromText(in, "fuzz");
  OH_FUZZ_CHECK(ring.ok() || !ring.status().message().empty());
  // Forging a value that opens needs the key: none of these may open.
  OH_FUZZ_CHECK(!testing::TestKeys().Open(in).ok());
  store::JournalRecord r;
  r.kind = codec::kCreateOrder;
  r.tenant = "t1";
  r.target = "01JC0Z8X6M4B1T9P2R3S5V7W8Y";
  for (const std::string prefix : {std::string("sealed:"), std::string(1, codec::kSealedBody)}) {
    r.body = prefix + std::string(in);
    OH_FUZZ_CHECK(!codec::DecodeCommand(r, testing::TestKeys()).ok());
  }
  codec::OrderDetail d;
  if (codec::DecodeOrderDetail(in, &d)) OH_FUZZ_CHECK(!codec::OpenPersonal(d, testing::TestKeys()).ok());
  codec::LineDetail l;
  codec::DecodeLineDetail(in, &l);
  const std::string packed = model::kPackedEventData + std::string(in);
  OH_FUZZ_CHECK(!engine::EventDataJson(packed).empty());
  OH_FUZZ_CHECK(engine::EventDecisionJson(packed).has_value());
  return 0;
}
