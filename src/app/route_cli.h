// `orderhub route check|decide`: the routing engine on files (route_cli.cc).
#pragma once

namespace orderhub::app {
int Route(int argc, char** argv);
}
