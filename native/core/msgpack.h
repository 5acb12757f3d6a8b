// Minimal bounds-checked MsgPack reader and fixed-width writer for the SWIM codec.
// The reader never reads outside [pos, end); the writer never writes outside [pos, end).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/codec.h"

namespace swim {
namespace mp {

// Reads values from [pos, end). Every read either consumes a whole value and returns
// DecodeError::Ok, or returns an error and leaves the cursor somewhere inside the range.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : pos_(data), end_(data + size) {}

  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  bool at_end() const { return pos_ == end_; }

  // Any non-negative integer encoding: positive fixint, uint8..64, and int8..64 holding a
  // value >= 0 (some encoders emit those). Negative values and non-integers: BadType.
  DecodeError read_uint(uint64_t* out);
  // fixmap, map16, map32.
  DecodeError read_map(uint32_t* count);
  // fixarray, array16, array32.
  DecodeError read_array(uint32_t* count);
  // bin8, bin16, bin32 only (str is not binary). The view points into the input.
  DecodeError read_bin(const uint8_t** data, uint32_t* size);

 private:
  bool need(size_t n) const { return remaining() >= n; }
  uint64_t be(size_t n);  // big-endian n-byte number at pos_, advancing; caller checked need(n)

  const uint8_t* pos_;
  const uint8_t* end_;
};

// Writes fixed-width encodings into [pos, end). Callers compute sizes up front; a write
// past the end is refused (the writer turns into a failed state) rather than performed.
class Writer {
 public:
  Writer(uint8_t* data, size_t size) : begin_(data), pos_(data), end_(data + size) {}

  bool ok() const { return ok_; }
  size_t size() const { return static_cast<size_t>(pos_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  uint8_t* cursor() { return pos_; }

  void u8_raw(uint8_t b);                // one raw byte (a fixint, fixmap header, key)
  void fixuint(uint8_t v);               // positive fixint, v < 128
  void fixmap(uint8_t n);                // n < 16
  void uint16(uint16_t v);               // 0xcd + 2 bytes
  void uint32(uint32_t v);               // 0xce + 4 bytes
  void uint64(uint64_t v);               // 0xcf + 8 bytes
  void array16(uint16_t n);              // 0xdc + 2 bytes
  void bin8(const uint8_t* d, uint8_t n);    // 0xc4 + 1 byte length + data
  void bin16(const uint8_t* d, uint16_t n);  // 0xc5 + 2 byte length + data

 private:
  bool reserve(size_t n) {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  void be(uint64_t v, size_t n);

  uint8_t* begin_;
  uint8_t* pos_;
  uint8_t* end_;
  bool ok_ = true;
};

}  // namespace mp
}  // namespace swim
