// Datagram encryption for the worker: Tarantool's swim codecs (wire-compatible) and an
// authenticated AES-GCM keyring. Uses the OpenSSL that Node itself ships and exports; the
// addon never links a second libcrypto.
//
// Threading: a PacketCipher is NOT thread-safe (it owns reusable EVP contexts). Exactly one
// thread uses a given instance. To change keys, build a new cipher (on any thread) and hand
// the whole object to the worker, which swaps it between two datagrams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace swim {
namespace io {

// Largest datagram the worker sends or expects: 1500 MTU - 20 IPv4 - 8 UDP.
constexpr size_t kUdpPacketSize = 1472;

// Why open() rejected a datagram. Stable: names are counted in stats() by the caller.
enum class CipherDrop : uint8_t {
  Ok = 0,
  TooShort,        // shorter than the IV/header/tag the format requires
  DecryptFailed,   // Tarantool modes: bad block length or padding (wrong key, garbage)
  AuthFailed,      // GCM: the tag did not verify under any candidate key (tampered, wrong key)
  UnknownKey,      // GCM: the key id names no key of the ring
  UnknownVersion,  // GCM: the format version byte is not one we speak
  Replay,          // GCM: authentic, but this key id and nonce were opened before (ReplayWindow)
  Count_
};
constexpr size_t kCipherDropCount = static_cast<size_t>(CipherDrop::Count_);
// Stable snake_case name, e.g. "auth_failed".
const char* cipher_drop_name(CipherDrop d);

// The (key id, nonce) pairs of the AES-GCM datagrams a receiver opened last: at least the
// last kReplayWindow and at most 2 * kReplayWindow of them. Two fixed open-addressing tables
// of 64-bit fingerprints (at most half full): a new pair goes into the current one; when it
// holds kReplayWindow pairs it becomes the previous one and the old previous one is
// cleared. 128 KiB, allocated once; no allocation per datagram. A fingerprint collision
// between two honest datagrams (probability ~2^-51 per datagram) drops one of them, which
// SWIM tolerates like any loss. Not thread-safe: the worker thread owns it.
constexpr size_t kReplayWindow = 4096;
class ReplayWindow {
 public:
  ReplayWindow();
  // True if the pair was seen within the window; otherwise records it and returns false.
  bool seen(const uint8_t* key_id, const uint8_t* nonce);

 private:
  static constexpr size_t kSlots = 2 * kReplayWindow;  // per table: load <= 1/2
  bool find(const std::vector<uint64_t>& t, uint64_t fp) const;
  std::vector<uint64_t> tables_[2];
  size_t current_ = 0;
  size_t count_ = 0;  // pairs in tables_[current_]
};

class PacketCipher {
 public:
  virtual ~PacketCipher() = default;
  PacketCipher() = default;
  PacketCipher(const PacketCipher&) = delete;
  PacketCipher& operator=(const PacketCipher&) = delete;

  // Largest number of bytes seal() adds to a plain text (IV/nonce, padding, header, tag).
  virtual size_t overhead() const = 0;
  // Encrypts plain[0..n) into *out (resized to the datagram). False only if OpenSSL fails
  // (no randomness, out of memory): the caller must then not send the packet.
  virtual bool seal(const uint8_t* plain, size_t n, std::vector<uint8_t>* out) = 0;
  // Decrypts a received datagram into *plain (resized). Any input is safe: never reads
  // outside in[0..n), never aborts. On a drop *plain's contents are unspecified.
  virtual CipherDrop open(const uint8_t* in, size_t n, std::vector<uint8_t>* plain) = 0;
  // "aes128-cbc", "aes-gcm", "none": for logs and stats.
  virtual const char* name() const = 0;
  // From now on open() drops (Replay) an authentic datagram whose key id and nonce are in
  // `window`, and records the others there. Only AES-GCM has a nonce to remember; the
  // other codecs ignore it. Without a window (the default, and PacketCipher in JS) a
  // datagram opens as often as it is given. The window must outlive the cipher's use of it.
  virtual void set_replay_window(ReplayWindow* window) { (void)window; }
};

enum class CipherAlgo : uint8_t { None, Aes128, Aes192, Aes256, AesGcm };
enum class CipherMode : uint8_t { Ecb, Cbc, Cfb, Ofb };

struct CipherConfig {
  CipherAlgo algo = CipherAlgo::None;
  CipherMode mode = CipherMode::Cbc;  // Tarantool algos only (Tarantool's default is cbc)
  // Tarantool algos: exactly one key. AesGcm: the ring, primary first, 1..kMaxRingKeys keys.
  std::vector<std::vector<uint8_t>> keys;
};

// A ring bigger than this is a configuration mistake, not a rotation.
constexpr size_t kMaxRingKeys = 16;

// Builds a cipher, or returns nullptr and a human-readable reason in *error (unknown algo,
// wrong key length, empty ring, OpenSSL failure). CipherAlgo::None yields a pass-through
// cipher (overhead 0); the worker may equally keep a null pointer for "no codec".
std::unique_ptr<PacketCipher> make_cipher(const CipherConfig& config, std::string* error);

// OpenSSL frees its global state (library context, DRBGs, error queues) from an exit
// handler, OPENSSL_cleanup, which Node registers at startup. A worker thread can still be
// running when exit() runs (docs/lifecycle.md, "Limits"): every use of OpenSSL on a worker
// thread is therefore an OpenSslUse. arm_openssl_exit_gate() registers our own exit
// handler, after OpenSSL's and so run before it: it refuses new uses and waits for those in
// progress (microseconds). Process-wide by nature: exit() is.
void arm_openssl_exit_gate();  // JS thread, before a cipher reaches a worker; idempotent

class OpenSslUse {
 public:
  OpenSslUse();
  ~OpenSslUse();
  OpenSslUse(const OpenSslUse&) = delete;
  OpenSslUse& operator=(const OpenSslUse&) = delete;
  // False once the process is exiting: the caller must not touch OpenSSL.
  explicit operator bool() const { return entered_; }

 private:
  bool entered_;
};

// AES-GCM keyring datagram (all sizes in bytes):
//   [0]      format version, kGcmVersion
//   [1..4)   key id: first 3 bytes of SHA-256("swim-native gcm key id" || key); it lets the
//            receiver pick the key without trial decryption. Collisions only cost a retry.
//   [4..16)  nonce, random per packet (RAND_bytes)
//   [16..-16) AES-GCM ciphertext of the plain datagram (meta + body)
//   [-16..)  GCM tag; the 4 header bytes are authenticated as associated data.
constexpr uint8_t kGcmVersion = 1;
constexpr size_t kGcmKeyIdSize = 3;
constexpr size_t kGcmHeaderSize = 1 + kGcmKeyIdSize;
constexpr size_t kGcmNonceSize = 12;
constexpr size_t kGcmTagSize = 16;
constexpr size_t kGcmOverhead = kGcmHeaderSize + kGcmNonceSize + kGcmTagSize;  // 32

}  // namespace io
}  // namespace swim
