#include "base/status.h"

namespace orderhub {

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s = reason_ + ": " + message_;
  if (!pointer_.empty()) s += " (at " + pointer_ + ")";
  return s;
}

}  // namespace orderhub
