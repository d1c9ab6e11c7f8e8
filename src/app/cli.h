// The `orderhub` command line: serve, keys create, bench. Exit status 0 on
// success, 2 on bad usage, 1 on failure, with the reason on standard error.
#pragma once

namespace orderhub::app {
int Main(int argc, char** argv);
}
