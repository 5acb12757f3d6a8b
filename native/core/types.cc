#include "core/types.h"

namespace swim {

namespace {

// Hex digit values by byte, -1 for anything else: a lookup instead of three range tests,
// whose mispredicted branches made uuid_parse cost more than encoding the whole UUID.
struct HexTable {
  int8_t v[256];
  constexpr HexTable() : v() {
    for (int i = 0; i < 256; ++i) v[i] = -1;
    for (int i = 0; i < 10; ++i) v['0' + i] = static_cast<int8_t>(i);
    for (int i = 0; i < 6; ++i) v['a' + i] = v['A' + i] = static_cast<int8_t>(10 + i);
  }
};
constexpr HexTable kHex;

int hex_value(char c) { return kHex.v[static_cast<uint8_t>(c)]; }

// Parses 1..max_digits decimal digits at text[*i..len) into *out; no sign, no leading
// zeros (so "010" cannot be read as octal by anyone comparing texts).
bool parse_decimal(const char* text, size_t len, size_t* i, size_t max_digits, uint32_t* out) {
  size_t start = *i;
  uint32_t v = 0;
  while (*i < len && text[*i] >= '0' && text[*i] <= '9' && *i - start < max_digits) {
    v = v * 10 + static_cast<uint32_t>(text[*i] - '0');
    ++*i;
  }
  size_t digits = *i - start;
  if (digits == 0) return false;
  if (digits > 1 && text[start] == '0') return false;
  if (*i < len && text[*i] >= '0' && text[*i] <= '9') return false;  // too many digits
  *out = v;
  return true;
}

}  // namespace

bool uuid_parse(const char* text, size_t len, Uuid* out) {
  if (text == nullptr || len != 36) return false;
  Uuid u;
  size_t b = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
      ++i;
      continue;
    }
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if ((hi | lo) < 0) return false;
    u.bytes[b++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  *out = u;
  return true;
}

void uuid_format(const Uuid& uuid, char out[37]) {
  static const char kHex[] = "0123456789abcdef";
  size_t o = 0;
  for (size_t b = 0; b < kUuidSize; ++b) {
    if (b == 4 || b == 6 || b == 8 || b == 10) out[o++] = '-';
    out[o++] = kHex[uuid.bytes[b] >> 4];
    out[o++] = kHex[uuid.bytes[b] & 0x0f];
  }
  out[o] = '\0';
}

bool addr_parse(const char* text, size_t len, Addr* out) {
  if (text == nullptr) return false;
  size_t i = 0;
  uint32_t ip = 0;
  for (int octet = 0; octet < 4; ++octet) {
    uint32_t v;
    if (!parse_decimal(text, len, &i, 3, &v) || v > 255) return false;
    ip = ip << 8 | v;
    char sep = octet < 3 ? '.' : ':';
    if (i >= len || text[i] != sep) return false;
    ++i;
  }
  uint32_t port;
  if (!parse_decimal(text, len, &i, 5, &port) || port > 65535) return false;
  if (i != len) return false;
  out->ip = ip;
  out->port = static_cast<uint16_t>(port);
  return true;
}

namespace {

// "%u" by hand: snprintf's format parsing cost more than decoding a whole member record.
char* format_decimal(uint32_t v, char* out) {
  char digits[10];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n != 0) *out++ = digits[--n];
  return out;
}

}  // namespace

void addr_format(const Addr& addr, char out[22]) {
  char* o = out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    o = format_decimal((addr.ip >> shift) & 0xff, o);
    *o++ = shift != 0 ? '.' : ':';
  }
  o = format_decimal(addr.port, o);
  *o = '\0';
}

const char* status_name(Status s) {
  switch (s) {
    case Status::Alive: return "alive";
    case Status::Suspected: return "suspected";
    case Status::Dead: return "dead";
    case Status::Left: return "left";
  }
  return "unknown";
}

}  // namespace swim
