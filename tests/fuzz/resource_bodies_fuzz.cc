// Every other request body the API parses (lifecycle events, cancels,
// tracking events, nodes, skus, stock): the first byte picks the parser.
// Never a crash; every refusal names a reason.
#include "codec/resource_codec.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orderhub;
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto check = [&](const auto& r) { OH_FUZZ_CHECK(r.ok() || !r.status().reason().empty()); };
  switch (data[0] % 8) {
    case 0: check(codec::ParseFireEvent(body)); break;
    case 1: check(codec::ParseCancel(body)); break;
    case 2: check(codec::ParseTracking(body)); break;
    case 3: check(codec::ParseNode(body)); break;
    case 4: check(codec::ParseSku(body)); break;
    case 5: check(codec::ParseSetStock(body)); break;
    case 6: check(codec::ParseAdjustStock(body)); break;
    default: check(codec::ParseSignIn(body)); break;
  }
  return 0;
}
