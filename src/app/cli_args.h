// What the `orderhub` subcommands share: --flag VALUE parsing and the
// failure exit.
#pragma once

#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace orderhub::app {

struct Args {
  std::map<std::string, std::string> values;
  std::vector<std::string> positional;
  bool help = false;
};

// Parses --flag VALUE pairs; `flags_without_value` take none.
inline bool ParseArgs(int argc, char** argv, int start, const std::vector<std::string>& known,
                      const std::vector<std::string>& flags_without_value, Args* out, std::string* error) {
  for (int i = start; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      out->help = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      out->positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (std::find(flags_without_value.begin(), flags_without_value.end(), name) != flags_without_value.end()) {
      value = "true";
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      *error = "option --" + name + " needs a value";
      return false;
    }
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      *error = "unknown option --" + name;
      return false;
    }
    out->values[name] = value;
  }
  return true;
}

// Prints the reason on standard error; exit status 1.
inline int Fail(const Status& st) {
  std::cerr << "orderhub: " << st.ToString() << "\n";
  return 1;
}

}  // namespace orderhub::app
