#include "app/cli.h"

int main(int argc, char** argv) { return orderhub::app::Main(argc, argv); }
