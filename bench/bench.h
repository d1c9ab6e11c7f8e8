// `orderhub bench NAME`: reproducible benchmarks. Each prints progress on
// standard error and, as its last line on standard output, one JSON object
// with its figures, so runs can be compared (see BENCHMARKS.md).
#pragma once

namespace orderhub::bench {
// argv[0] is "bench".
int Main(int argc, char** argv);

int EngineCreate(int argc, char** argv);
int HttpCreate(int argc, char** argv);
int Restart(int argc, char** argv);
int RoutingDecision(int argc, char** argv);
int RoutingQuality(int argc, char** argv);
int RoutingReplan(int argc, char** argv);
}  // namespace orderhub::bench
