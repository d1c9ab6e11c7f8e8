// Lifecycle YAML (operators edit these files): any text either parses into
// a valid lifecycle or is refused with a message naming the source.
#include "lifecycle/lifecycle.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orderhub;
  auto lc = lifecycle::ParseLifecycle(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  if (!lc.ok()) OH_FUZZ_CHECK(lc.status().message().find("fuzz.yaml") != std::string::npos);
  return 0;
}
