// See crypto.h. OpenSSL symbols resolve against the node binary at load time.
#include "io/crypto.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace swim {
namespace io {

const char* cipher_drop_name(CipherDrop d) {
  switch (d) {
    case CipherDrop::Ok: return "ok";
    case CipherDrop::TooShort: return "too_short";
    case CipherDrop::DecryptFailed: return "decrypt_failed";
    case CipherDrop::AuthFailed: return "auth_failed";
    case CipherDrop::UnknownKey: return "unknown_key";
    case CipherDrop::UnknownVersion: return "unknown_version";
    case CipherDrop::Replay: return "replay";
    case CipherDrop::Count_: break;
  }
  return "unknown";
}

namespace {

// Trivially destructible: still valid while exit handlers and static destructors run.
std::atomic<int> g_openssl_users{0};
std::atomic<bool> g_openssl_closed{false};

// A user increments, then checks the flag; we set the flag, then wait for the count (both
// sequentially consistent): either it sees the flag or we see it and wait.
void close_openssl_gate() {
  g_openssl_closed.store(true);
  while (g_openssl_users.load() != 0) std::this_thread::yield();
}

}  // namespace

void arm_openssl_exit_gate() {
  static const bool armed = [] {
    // Makes sure OpenSSL's own exit handler is registered first (Node has done it already).
    OPENSSL_init_crypto(0, nullptr);
    return std::atexit(close_openssl_gate) == 0;
  }();
  (void)armed;
}

OpenSslUse::OpenSslUse() {
  g_openssl_users.fetch_add(1);
  entered_ = !g_openssl_closed.load();
  if (!entered_) g_openssl_users.fetch_sub(1);
}

OpenSslUse::~OpenSslUse() {
  if (entered_) g_openssl_users.fetch_sub(1);
}

ReplayWindow::ReplayWindow() {
  tables_[0].assign(kSlots, 0);
  tables_[1].assign(kSlots, 0);
}

bool ReplayWindow::find(const std::vector<uint64_t>& t, uint64_t fp) const {
  for (size_t i = fp & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
    if (t[i] == fp) return true;
    if (t[i] == 0) return false;  // the table is never full: a free slot ends every probe
  }
}

bool ReplayWindow::seen(const uint8_t* key_id, const uint8_t* nonce) {
  static_assert((kSlots & (kSlots - 1)) == 0, "a power of two");
  // Nonces are random (RAND_bytes) and authenticated before we get here, so their own bits
  // make a fine hash; the key id and the nonce's last 4 bytes are mixed in.
  uint64_t a = 0;
  uint32_t b = 0;
  std::memcpy(&a, nonce, 8);
  std::memcpy(&b, nonce + 8, 4);
  uint64_t id = uint64_t{key_id[0]} | uint64_t{key_id[1]} << 8 | uint64_t{key_id[2]} << 16;
  uint64_t fp = a ^ ((uint64_t{b} << 24 | id) * 0x9E3779B97F4A7C15ull);
  fp = (fp ^ (fp >> 29)) * 0xBF58476D1CE4E5B9ull;
  fp ^= fp >> 32;
  if (fp == 0) fp = 1;  // 0 marks a free slot
  if (find(tables_[current_], fp) || find(tables_[current_ ^ 1], fp)) return true;
  if (count_ == kReplayWindow) {
    current_ ^= 1;
    std::fill(tables_[current_].begin(), tables_[current_].end(), 0);
    count_ = 0;
  }
  std::vector<uint64_t>& t = tables_[current_];
  size_t i = fp & (kSlots - 1);
  while (t[i] != 0) i = (i + 1) & (kSlots - 1);
  t[i] = fp;
  ++count_;
  return false;
}

namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

// Key bytes wiped when dropped, so a rotated-out key does not linger in freed memory.
struct SecretKey {
  std::vector<uint8_t> bytes;
  explicit SecretKey(std::vector<uint8_t> b) : bytes(std::move(b)) {}
  SecretKey(SecretKey&&) = default;
  SecretKey& operator=(SecretKey&&) = default;
  ~SecretKey() {
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
  }
};

// OpenSSL leaves a reason on its per-thread error queue when a decrypt fails; garbage from
// the network must not pile up there (nor leak into Node's crypto on the JS thread).
inline void clear_openssl_errors() { ERR_clear_error(); }

// IVs and nonces come from OpenSSL's DRBG, fetched 4 KiB at a time: one RAND_bytes call
// costs about as much as sealing a small packet, and IVs are public anyway (they travel in
// clear), so buffering the generator's output changes nothing about their quality.
class RandomPool {
 public:
  ~RandomPool() { OPENSSL_cleanse(buf_, sizeof(buf_)); }
  bool take(uint8_t* out, size_t n) {
    if (n > sizeof(buf_)) return false;
    if (sizeof(buf_) - pos_ < n) {
      if (RAND_bytes(buf_, static_cast<int>(sizeof(buf_))) != 1) {
        clear_openssl_errors();
        return false;
      }
      pos_ = 0;
    }
    std::memcpy(out, buf_ + pos_, n);
    // Each byte is handed out once, then forgotten.
    OPENSSL_cleanse(buf_ + pos_, n);
    pos_ += n;
    return true;
  }

 private:
  uint8_t buf_[4096];
  size_t pos_ = sizeof(buf_);
};

// An EVP context keyed once, then re-armed per packet with only a new IV: this skips the
// AES key schedule and the provider fetch that a full init costs on every datagram.
class KeyedCtx {
 public:
  bool init(const EVP_CIPHER* cipher, const uint8_t* key, int enc) {
    cipher_ = cipher;
    key_ = key;
    enc_ = enc;
    ctx_.reset(EVP_CIPHER_CTX_new());
    if (!ctx_) return false;
    return rekey();
  }
  // Per packet: reset the running state and set the IV, keeping the key schedule.
  bool arm(const uint8_t* iv) {
    if (dirty_ && !rekey()) return false;
    if (EVP_CipherInit_ex(ctx_.get(), nullptr, nullptr, nullptr, iv, enc_) != 1) {
      dirty_ = true;
      return false;
    }
    return true;
  }
  // After a failed operation the context state is not trusted: start over from the key.
  void poison() { dirty_ = true; }
  EVP_CIPHER_CTX* get() { return ctx_.get(); }

 private:
  bool rekey() {
    EVP_CIPHER_CTX_reset(ctx_.get());
    if (EVP_CipherInit_ex(ctx_.get(), cipher_, nullptr, key_, nullptr, enc_) != 1) {
      dirty_ = true;
      return false;
    }
    dirty_ = false;
    return true;
  }

  CtxPtr ctx_;
  const EVP_CIPHER* cipher_ = nullptr;
  const uint8_t* key_ = nullptr;  // owned by the cipher object, outlives this context
  int enc_ = 1;
  bool dirty_ = true;
};

// ---------------------------------------------------------------- pass-through ("none")

class PlainCipher final : public PacketCipher {
 public:
  size_t overhead() const override { return 0; }
  bool seal(const uint8_t* plain, size_t n, std::vector<uint8_t>* out) override {
    out->assign(plain, plain + n);
    return true;
  }
  CipherDrop open(const uint8_t* in, size_t n, std::vector<uint8_t>* plain) override {
    plain->assign(in, in + n);
    return CipherDrop::Ok;
  }
  const char* name() const override { return "none"; }
};

// ---------------------------------------------------------------- Tarantool codecs
//
// Datagram: [IV (cipher's IV length; none for ECB)] [EVP ciphertext of meta + body].
// Padding is OpenSSL's default, as Tarantool leaves it: PKCS#7 for ECB/CBC (1..16 bytes),
// none for CFB/OFB (stream modes). The IV is fresh random bytes for every packet.

class TarantoolCipher final : public PacketCipher {
 public:
  TarantoolCipher(const EVP_CIPHER* cipher, std::vector<uint8_t> key, std::string name)
      : cipher_(cipher), key_(std::move(key)), name_(std::move(name)) {
    iv_size_ = static_cast<size_t>(EVP_CIPHER_iv_length(cipher));
    block_size_ = static_cast<size_t>(EVP_CIPHER_block_size(cipher));
  }

  bool init() {
    return enc_.init(cipher_, key_.bytes.data(), 1) && dec_.init(cipher_, key_.bytes.data(), 0);
  }

  size_t overhead() const override {
    // Block modes pad a whole extra block when the input is already aligned.
    return iv_size_ + (block_size_ > 1 ? block_size_ : 0);
  }

  bool seal(const uint8_t* plain, size_t n, std::vector<uint8_t>* out) override {
    if (n > INT_MAX - 64) return false;
    out->resize(iv_size_ + n + block_size_);
    uint8_t* iv = out->data();
    if (iv_size_ > 0 && !random_.take(iv, iv_size_)) return false;
    if (!enc_.arm(iv_size_ > 0 ? iv : nullptr)) {
      clear_openssl_errors();
      return false;
    }
    uint8_t* dst = out->data() + iv_size_;
    int len1 = 0, len2 = 0;
    if (EVP_CipherUpdate(enc_.get(), dst, &len1, plain, static_cast<int>(n)) != 1 ||
        EVP_CipherFinal_ex(enc_.get(), dst + len1, &len2) != 1) {
      enc_.poison();
      clear_openssl_errors();
      return false;
    }
    out->resize(iv_size_ + static_cast<size_t>(len1) + static_cast<size_t>(len2));
    return true;
  }

  CipherDrop open(const uint8_t* in, size_t n, std::vector<uint8_t>* plain) override {
    // At least one byte of ciphertext (one whole block for ECB/CBC) after the IV.
    if (n < iv_size_ + (block_size_ > 1 ? block_size_ : 1)) return CipherDrop::TooShort;
    size_t body = n - iv_size_;
    if (body > INT_MAX - 64) return CipherDrop::DecryptFailed;
    // EVP rejects this itself, but checking first keeps garbage off the error queue.
    if (block_size_ > 1 && body % block_size_ != 0) return CipherDrop::DecryptFailed;
    if (!dec_.arm(iv_size_ > 0 ? in : nullptr)) {
      clear_openssl_errors();
      return CipherDrop::DecryptFailed;
    }
    // EVP may write up to one block beyond the input length before Final trims padding.
    plain->resize(body + block_size_);
    int len1 = 0, len2 = 0;
    if (EVP_CipherUpdate(dec_.get(), plain->data(), &len1, in + iv_size_, static_cast<int>(body)) != 1 ||
        EVP_CipherFinal_ex(dec_.get(), plain->data() + len1, &len2) != 1) {
      dec_.poison();
      clear_openssl_errors();
      return CipherDrop::DecryptFailed;
    }
    plain->resize(static_cast<size_t>(len1) + static_cast<size_t>(len2));
    return CipherDrop::Ok;
  }

  const char* name() const override { return name_.c_str(); }

 private:
  const EVP_CIPHER* cipher_;
  SecretKey key_;
  std::string name_;
  size_t iv_size_ = 0;
  size_t block_size_ = 1;
  KeyedCtx enc_;
  KeyedCtx dec_;
  RandomPool random_;
};

// ---------------------------------------------------------------- AES-GCM keyring

const EVP_CIPHER* gcm_for_key_size(size_t n) {
  switch (n) {
    case 16: return EVP_aes_128_gcm();
    case 24: return EVP_aes_192_gcm();
    case 32: return EVP_aes_256_gcm();
    default: return nullptr;
  }
}

bool gcm_key_id(const std::vector<uint8_t>& key, uint8_t out[kGcmKeyIdSize]) {
  // Domain-separated hash so the id says nothing usable about the key and cannot be
  // confused with any other digest of it.
  static const char kLabel[] = "swim-native gcm key id";
  std::vector<uint8_t> msg(sizeof(kLabel) - 1 + key.size());
  std::memcpy(msg.data(), kLabel, sizeof(kLabel) - 1);
  std::memcpy(msg.data() + sizeof(kLabel) - 1, key.data(), key.size());
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok = EVP_Digest(msg.data(), msg.size(), digest, &len, EVP_sha256(), nullptr) == 1 &&
            len >= kGcmKeyIdSize;
  OPENSSL_cleanse(msg.data(), msg.size());
  if (ok) std::memcpy(out, digest, kGcmKeyIdSize);
  OPENSSL_cleanse(digest, sizeof(digest));
  clear_openssl_errors();
  return ok;
}

class GcmRingCipher final : public PacketCipher {
 public:
  // Keys are validated by make_cipher; slots_[0] is the primary.
  bool init(std::vector<std::vector<uint8_t>> keys, std::string* error) {
    slots_.reserve(keys.size());
    for (auto& k : keys) {
      slots_.emplace_back(new Slot(std::move(k)));
      Slot& s = *slots_.back();
      const EVP_CIPHER* cipher = gcm_for_key_size(s.key.bytes.size());
      if (!gcm_key_id(s.key.bytes, s.id) || !s.dec.init(cipher, s.key.bytes.data(), 0)) {
        *error = "OpenSSL could not set up AES-GCM";
        clear_openssl_errors();
        return false;
      }
    }
    const Slot& primary = *slots_[0];
    if (!enc_.init(gcm_for_key_size(primary.key.bytes.size()), primary.key.bytes.data(), 1)) {
      *error = "OpenSSL could not set up AES-GCM";
      clear_openssl_errors();
      return false;
    }
    return true;
  }

  size_t overhead() const override { return kGcmOverhead; }

  bool seal(const uint8_t* plain, size_t n, std::vector<uint8_t>* out) override {
    if (n > INT_MAX - 64) return false;
    out->resize(kGcmOverhead + n);
    uint8_t* p = out->data();
    p[0] = kGcmVersion;
    std::memcpy(p + 1, slots_[0]->id, kGcmKeyIdSize);
    uint8_t* nonce = p + kGcmHeaderSize;
    uint8_t* ct = nonce + kGcmNonceSize;
    uint8_t* tag = ct + n;
    if (!random_.take(nonce, kGcmNonceSize) || !enc_.arm(nonce)) {
      clear_openssl_errors();
      return false;
    }
    EVP_CIPHER_CTX* c = enc_.get();
    int len = 0, fin = 0;
    if (EVP_CipherUpdate(c, nullptr, &len, p, static_cast<int>(kGcmHeaderSize)) != 1 ||
        EVP_CipherUpdate(c, ct, &len, plain, static_cast<int>(n)) != 1 ||
        EVP_CipherFinal_ex(c, ct + len, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize), tag) != 1) {
      enc_.poison();
      clear_openssl_errors();
      return false;
    }
    return true;
  }

  CipherDrop open(const uint8_t* in, size_t n, std::vector<uint8_t>* plain) override {
    // One byte of ciphertext at least: an empty authentic packet is never sent.
    if (n < kGcmOverhead + 1) return CipherDrop::TooShort;
    if (in[0] != kGcmVersion) return CipherDrop::UnknownVersion;
    size_t ct_size = n - kGcmOverhead;
    if (ct_size > INT_MAX - 64) return CipherDrop::AuthFailed;
    bool any_id = false;
    for (auto& slot : slots_) {
      if (std::memcmp(slot->id, in + 1, kGcmKeyIdSize) != 0) continue;
      any_id = true;
      if (try_open(*slot, in, ct_size, plain)) {
        // Only an authentic datagram enters the window: forgeries cannot evict real nonces.
        if (window_ != nullptr && window_->seen(in + 1, in + kGcmHeaderSize)) {
          OPENSSL_cleanse(plain->data(), plain->size());
          plain->clear();
          return CipherDrop::Replay;
        }
        return CipherDrop::Ok;
      }
    }
    return any_id ? CipherDrop::AuthFailed : CipherDrop::UnknownKey;
  }

  const char* name() const override { return "aes-gcm"; }
  void set_replay_window(ReplayWindow* window) override { window_ = window; }

 private:
  struct Slot {
    explicit Slot(std::vector<uint8_t> k) : key(std::move(k)) {}
    SecretKey key;
    uint8_t id[kGcmKeyIdSize] = {};
    KeyedCtx dec;  // points at key.bytes: Slot is heap-allocated so it never moves
  };

  bool try_open(Slot& s, const uint8_t* in, size_t ct_size, std::vector<uint8_t>* plain) {
    const uint8_t* nonce = in + kGcmHeaderSize;
    const uint8_t* ct = nonce + kGcmNonceSize;
    const uint8_t* tag = ct + ct_size;
    if (!s.dec.arm(nonce)) {
      clear_openssl_errors();
      return false;
    }
    plain->resize(ct_size);
    EVP_CIPHER_CTX* c = s.dec.get();
    int len = 0, fin = 0;
    // The tag is only read by OpenSSL (the ctrl takes a non-const pointer): copy it.
    uint8_t tag_copy[kGcmTagSize];
    std::memcpy(tag_copy, tag, kGcmTagSize);
    bool ok = EVP_CipherUpdate(c, nullptr, &len, in, static_cast<int>(kGcmHeaderSize)) == 1 &&
              EVP_CipherUpdate(c, plain->data(), &len, ct, static_cast<int>(ct_size)) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagSize), tag_copy) == 1 &&
              EVP_CipherFinal_ex(c, plain->data() + len, &fin) == 1;
    if (!ok) {
      // Unauthenticated plain text must never be seen by anyone.
      OPENSSL_cleanse(plain->data(), plain->size());
      plain->clear();
      s.dec.poison();
      clear_openssl_errors();
      return false;
    }
    return true;
  }

  std::vector<std::unique_ptr<Slot>> slots_;
  ReplayWindow* window_ = nullptr;  // owned by the worker; none: no replay check
  KeyedCtx enc_;  // keyed with slots_[0]
  RandomPool random_;
};

const EVP_CIPHER* tarantool_cipher(CipherAlgo algo, CipherMode mode) {
  switch (algo) {
    case CipherAlgo::Aes128:
      switch (mode) {
        case CipherMode::Ecb: return EVP_aes_128_ecb();
        case CipherMode::Cbc: return EVP_aes_128_cbc();
        case CipherMode::Cfb: return EVP_aes_128_cfb128();
        case CipherMode::Ofb: return EVP_aes_128_ofb();
      }
      break;
    case CipherAlgo::Aes192:
      switch (mode) {
        case CipherMode::Ecb: return EVP_aes_192_ecb();
        case CipherMode::Cbc: return EVP_aes_192_cbc();
        case CipherMode::Cfb: return EVP_aes_192_cfb128();
        case CipherMode::Ofb: return EVP_aes_192_ofb();
      }
      break;
    case CipherAlgo::Aes256:
      switch (mode) {
        case CipherMode::Ecb: return EVP_aes_256_ecb();
        case CipherMode::Cbc: return EVP_aes_256_cbc();
        case CipherMode::Cfb: return EVP_aes_256_cfb128();
        case CipherMode::Ofb: return EVP_aes_256_ofb();
      }
      break;
    default: break;
  }
  return nullptr;
}

const char* algo_text(CipherAlgo a) {
  switch (a) {
    case CipherAlgo::Aes128: return "aes128";
    case CipherAlgo::Aes192: return "aes192";
    case CipherAlgo::Aes256: return "aes256";
    case CipherAlgo::AesGcm: return "aes-gcm";
    case CipherAlgo::None: return "none";
  }
  return "?";
}

const char* mode_text(CipherMode m) {
  switch (m) {
    case CipherMode::Ecb: return "ecb";
    case CipherMode::Cbc: return "cbc";
    case CipherMode::Cfb: return "cfb";
    case CipherMode::Ofb: return "ofb";
  }
  return "?";
}

}  // namespace

std::unique_ptr<PacketCipher> make_cipher(const CipherConfig& config, std::string* error) {
  switch (config.algo) {
    case CipherAlgo::None:
      return std::unique_ptr<PacketCipher>(new PlainCipher());
    case CipherAlgo::Aes128:
    case CipherAlgo::Aes192:
    case CipherAlgo::Aes256: {
      const EVP_CIPHER* cipher = tarantool_cipher(config.algo, config.mode);
      if (cipher == nullptr) {
        *error = "unknown cipher mode";
        return nullptr;
      }
      if (config.keys.size() != 1) {
        *error = std::string(algo_text(config.algo)) + " takes exactly one key";
        return nullptr;
      }
      size_t need = static_cast<size_t>(EVP_CIPHER_key_length(cipher));
      if (config.keys[0].size() != need) {
        *error = std::string(algo_text(config.algo)) + " key must be " + std::to_string(need) +
                 " bytes, got " + std::to_string(config.keys[0].size());
        return nullptr;
      }
      std::string name = std::string(algo_text(config.algo)) + "-" + mode_text(config.mode);
      std::unique_ptr<TarantoolCipher> c(new TarantoolCipher(cipher, config.keys[0], name));
      if (!c->init()) {
        clear_openssl_errors();
        *error = "OpenSSL could not set up " + name;
        return nullptr;
      }
      return c;
    }
    case CipherAlgo::AesGcm: {
      if (config.keys.empty()) {
        *error = "aes-gcm keyring is empty: give at least one key";
        return nullptr;
      }
      if (config.keys.size() > kMaxRingKeys) {
        *error = "aes-gcm keyring holds at most " + std::to_string(kMaxRingKeys) + " keys";
        return nullptr;
      }
      for (size_t i = 0; i < config.keys.size(); ++i) {
        if (gcm_for_key_size(config.keys[i].size()) == nullptr) {
          *error = "aes-gcm key " + std::to_string(i) + " must be 16, 24 or 32 bytes, got " +
                   std::to_string(config.keys[i].size());
          return nullptr;
        }
      }
      std::unique_ptr<GcmRingCipher> c(new GcmRingCipher());
      if (!c->init(config.keys, error)) return nullptr;
      return c;
    }
  }
  *error = "unknown cipher algorithm";
  return nullptr;
}

}  // namespace io
}  // namespace swim
