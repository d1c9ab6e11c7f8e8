// Network and policy files (planners edit these; `orderhub route` reads
// them from anywhere): any text either loads or is refused naming the file;
// a network that loads can route an order without crashing.
#include <vector>

#include "routing/routing.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// Five units of sku 0 at every node.
class Everywhere final : public orderhub::routing::Stock {
 public:
  explicit Everywhere(uint32_t nodes) {
    for (uint32_t n = 0; n < nodes; ++n) holders_.push_back(n);
  }
  int64_t Available(uint32_t sku, uint32_t) const override { return sku == 0 ? 5 : 0; }
  std::span<const uint32_t> Holders(uint32_t sku) const override {
    return sku == 0 ? std::span<const uint32_t>(holders_) : std::span<const uint32_t>();
  }

 private:
  std::vector<uint32_t> holders_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace orderhub;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = routing::Policy::Parse(text, "fuzz.yaml");
  if (!policy.ok()) OH_FUZZ_CHECK(policy.status().message().find("fuzz.yaml") != std::string::npos);
  auto network = routing::Network::Parse(text, "fuzz.yaml");
  if (!network.ok()) {
    OH_FUZZ_CHECK(network.status().message().find("fuzz.yaml") != std::string::npos);
    return 0;
  }
  const routing::Policy p;
  routing::Decider decider(&*network, &p);
  const Everywhere stock(static_cast<uint32_t>(network->nodes().size()));
  const routing::LineRequest lines[] = {{0, 2, 500}, {1, 1, 300}, {0, 1, 100}};
  routing::OrderRequest order;
  order.now = 1'795'000'000'000'000;
  order.region_code = "310104";
  order.lines = lines;
  const routing::Decision d = decider.Decide(order, stock);
  OH_FUZZ_CHECK(!d.routable());  // sku 1 is nowhere
  OH_FUZZ_CHECK(!d.problems.empty());
  order.lines = std::span(lines, 1);
  for (const routing::Plan& plan : decider.Decide(order, stock).plans) {
    for (const routing::Shipment& s : plan.shipments) OH_FUZZ_CHECK(s.node < network->nodes().size());
  }
  return 0;
}
