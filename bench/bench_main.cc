#include <cstring>
#include <iostream>

#include "bench/bench.h"

namespace orderhub::bench {

int Main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::cerr << "usage: orderhub bench engine_create|http_create|restart|routing_decision|routing_quality|routing_replan [--help]\n";
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  if (name == "engine_create") return EngineCreate(argc - 1, argv + 1);
  if (name == "http_create") return HttpCreate(argc - 1, argv + 1);
  if (name == "restart") return Restart(argc - 1, argv + 1);
  if (name == "routing_decision") return RoutingDecision(argc - 1, argv + 1);
  if (name == "routing_replan") return RoutingReplan(argc - 1, argv + 1);
  if (name == "routing_quality") return RoutingQuality(argc - 1, argv + 1);
  std::cerr << "orderhub: unknown benchmark '" << name << "'\n";
  return 2;
}

}  // namespace orderhub::bench
