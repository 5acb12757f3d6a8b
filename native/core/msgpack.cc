#include "core/msgpack.h"

#include <cstring>

namespace swim {
namespace mp {

uint64_t Reader::be(size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | pos_[i];
  pos_ += n;
  return v;
}

DecodeError Reader::read_uint(uint64_t* out) {
  if (at_end()) return DecodeError::Truncated;
  uint8_t tag = *pos_;
  if (tag <= 0x7f) {
    ++pos_;
    *out = tag;
    return DecodeError::Ok;
  }
  size_t width;
  bool is_signed;
  switch (tag) {
    case 0xcc: width = 1; is_signed = false; break;
    case 0xcd: width = 2; is_signed = false; break;
    case 0xce: width = 4; is_signed = false; break;
    case 0xcf: width = 8; is_signed = false; break;
    case 0xd0: width = 1; is_signed = true; break;
    case 0xd1: width = 2; is_signed = true; break;
    case 0xd2: width = 4; is_signed = true; break;
    case 0xd3: width = 8; is_signed = true; break;
    default: return DecodeError::BadType;  // negative fixint, floats, anything else
  }
  if (!need(1 + width)) return DecodeError::Truncated;
  // Signed encodings are accepted only for non-negative values: the sign bit is the top
  // bit of the first payload byte.
  if (is_signed && (pos_[1] & 0x80) != 0) return DecodeError::BadType;
  ++pos_;
  *out = be(width);
  return DecodeError::Ok;
}

DecodeError Reader::read_map(uint32_t* count) {
  if (at_end()) return DecodeError::Truncated;
  uint8_t tag = *pos_;
  if ((tag & 0xf0) == 0x80) {
    ++pos_;
    *count = tag & 0x0f;
    return DecodeError::Ok;
  }
  size_t width;
  if (tag == 0xde) width = 2;
  else if (tag == 0xdf) width = 4;
  else return DecodeError::BadType;
  if (!need(1 + width)) return DecodeError::Truncated;
  ++pos_;
  *count = static_cast<uint32_t>(be(width));
  return DecodeError::Ok;
}

DecodeError Reader::read_array(uint32_t* count) {
  if (at_end()) return DecodeError::Truncated;
  uint8_t tag = *pos_;
  if ((tag & 0xf0) == 0x90) {
    ++pos_;
    *count = tag & 0x0f;
    return DecodeError::Ok;
  }
  size_t width;
  if (tag == 0xdc) width = 2;
  else if (tag == 0xdd) width = 4;
  else return DecodeError::BadType;
  if (!need(1 + width)) return DecodeError::Truncated;
  ++pos_;
  *count = static_cast<uint32_t>(be(width));
  return DecodeError::Ok;
}

DecodeError Reader::read_bin(const uint8_t** data, uint32_t* size) {
  if (at_end()) return DecodeError::Truncated;
  uint8_t tag = *pos_;
  size_t width;
  if (tag == 0xc4) width = 1;
  else if (tag == 0xc5) width = 2;
  else if (tag == 0xc6) width = 4;
  else return DecodeError::BadType;
  if (!need(1 + width)) return DecodeError::Truncated;
  ++pos_;
  uint64_t len = be(width);
  if (len > remaining()) return DecodeError::Truncated;
  *data = pos_;
  *size = static_cast<uint32_t>(len);
  pos_ += len;
  return DecodeError::Ok;
}

void Writer::be(uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) pos_[i] = static_cast<uint8_t>(v >> (8 * (n - 1 - i)));
  pos_ += n;
}

void Writer::u8_raw(uint8_t b) {
  if (!reserve(1)) return;
  *pos_++ = b;
}

void Writer::fixuint(uint8_t v) { u8_raw(v & 0x7f); }

void Writer::fixmap(uint8_t n) { u8_raw(static_cast<uint8_t>(0x80 | (n & 0x0f))); }

void Writer::uint16(uint16_t v) {
  if (!reserve(3)) return;
  *pos_++ = 0xcd;
  be(v, 2);
}

void Writer::uint32(uint32_t v) {
  if (!reserve(5)) return;
  *pos_++ = 0xce;
  be(v, 4);
}

void Writer::uint64(uint64_t v) {
  if (!reserve(9)) return;
  *pos_++ = 0xcf;
  be(v, 8);
}

void Writer::array16(uint16_t n) {
  if (!reserve(3)) return;
  *pos_++ = 0xdc;
  be(n, 2);
}

void Writer::bin8(const uint8_t* d, uint8_t n) {
  if (!reserve(2 + static_cast<size_t>(n))) return;
  *pos_++ = 0xc4;
  *pos_++ = n;
  if (n != 0) std::memcpy(pos_, d, n);
  pos_ += n;
}

void Writer::bin16(const uint8_t* d, uint16_t n) {
  if (!reserve(3 + static_cast<size_t>(n))) return;
  *pos_++ = 0xc5;
  be(n, 2);
  if (n != 0) std::memcpy(pos_, d, n);
  pos_ += n;
}

}  // namespace mp
}  // namespace swim
