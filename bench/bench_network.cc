#include "bench/bench_network.h"

#include "app/keys.h"

namespace orderhub::bench {

Status LoadBenchNetwork(app::Hub& hub, bool routed) {
  OH_RETURN_IF_ERROR(app::PutKey(hub.store(), kBenchKey, "bench", "admin", 0));
  app::RequestPipeline p(hub, kBenchKey);
  for (int n = 0; n < kBenchNodes; ++n) {
    p.Send("PUT", "/v1/nodes/N" + std::to_string(n),
           std::string(R"({"name":"bench node","region_code":")") + (routed ? "310100" : "999999") +
               R"(","lat":31.2,"lng":121.4})");
  }
  for (int s = 0; s < kBenchSkus; ++s) {
    const std::string sku = "S" + std::to_string(s);
    p.Send("PUT", "/v1/skus/" + sku, R"({"name":"bench sku"})");
    for (int k = 0; k < 3; ++k) {
      p.Send("PUT", "/v1/inventory/" + sku + "/N" + std::to_string((s + k * 7) % kBenchNodes),
             R"({"on_hand":1000000000,"reason":"bench"})");
    }
  }
  return p.Wait();
}

}  // namespace orderhub::bench
