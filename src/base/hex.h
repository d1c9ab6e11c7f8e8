// Lowercase hexadecimal: how digests, keys and signatures are written in
// files, tables and answers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace orderhub {

std::string HexEncode(const unsigned char* data, size_t n);

// Exactly `n` bytes from `2 * n` lowercase hex digits; false (and `out` in
// an unspecified state) for anything else.
bool HexDecode(std::string_view hex, unsigned char* out, size_t n);

}  // namespace orderhub
