#include <vector>

#include "access/access.h"

namespace orderhub::access {
namespace {

// Splits valid UTF-8 into its characters (as byte ranges).
std::vector<std::string_view> Characters(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (i + n > s.size()) n = s.size() - i;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace

std::string MaskPhone(std::string_view phone) {
  const std::vector<std::string_view> cs = Characters(phone);
  const size_t n = cs.size();
  // Short numbers would be given away by 7 visible digits: show fewer.
  const size_t head = n >= 8 ? 3 : 0, tail = n >= 8 ? 4 : n >= 5 ? 2 : 0;
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i < head || i >= n - tail) {
      out += cs[i];
    } else {
      out += '*';
    }
  }
  return out;
}

std::string MaskName(std::string_view name) {
  const std::vector<std::string_view> cs = Characters(name);
  std::string out;
  for (size_t i = 0; i < cs.size(); ++i) out += i == 0 || cs[i] == " " ? std::string(cs[i]) : "*";
  return out;
}

std::string MaskEmail(std::string_view email) {
  const size_t at = email.rfind('@');
  if (at == std::string_view::npos || at == 0) return "***";
  const std::vector<std::string_view> local = Characters(email.substr(0, at));
  return std::string(local[0]) + "***" + std::string(email.substr(at));
}

std::string MaskAddress(std::string_view country, std::string_view address) {
  if (address.empty()) return "";
  if (country != "CN") return "***";
  const std::vector<std::string_view> cs = Characters(address);
  size_t district = 0, city = 0;  // characters to keep
  for (size_t i = 0; i < cs.size(); ++i) {
    if (cs[i].size() == 1 && cs[i][0] >= '0' && cs[i][0] <= '9') break;
    if (cs[i] == "区" || cs[i] == "县" || cs[i] == "旗") district = i + 1;
    if (cs[i] == "市") city = i + 1;
  }
  const size_t keep = district > 0 ? district : city;
  std::string out;
  for (size_t i = 0; i < keep; ++i) out += cs[i];
  if (keep < cs.size()) out += "***";
  return out;
}

}  // namespace orderhub::access
