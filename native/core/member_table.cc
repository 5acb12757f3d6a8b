#include "core/member_table.h"

#include <cstdlib>
#include <cstring>

namespace swim {

static_assert(sizeof(Member) <= 72, "keep the member record compact (simulator memory budget)");

MemberTable::~MemberTable() {
  for (Member& m : slots_) std::free(m.payload);
}

uint32_t MemberTable::find(const Uuid& uuid) const {
  if (index_.empty()) return kNoSlot;
  const size_t mask = index_.size() - 1;
  for (size_t i = uuid_hash(uuid) & mask;; i = (i + 1) & mask) {
    uint32_t s = index_[i];
    if (s == kNoSlot) return kNoSlot;
    if (slots_[s].uuid == uuid) return s;
  }
}

void MemberTable::index_insert(uint32_t slot) {
  const size_t mask = index_.size() - 1;
  size_t i = uuid_hash(slots_[slot].uuid) & mask;
  while (index_[i] != kNoSlot) i = (i + 1) & mask;
  index_[i] = slot;
}

void MemberTable::grow_index() {
  size_t n = index_.empty() ? 8 : index_.size() * 2;
  index_.assign(n, kNoSlot);
  for (uint32_t s = 0; s < slots_.size(); ++s)
    if (slots_[s].live()) index_insert(s);
}

uint32_t MemberTable::insert(const Uuid& uuid) {
  if ((size_ + 1) * 2 > index_.size()) grow_index();
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
    slots_[slot] = Member();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Member& m = slots_[slot];
  m.uuid = uuid;
  m.set(MemberFlag::Live, true);
  index_insert(slot);
  ++size_;
  return slot;
}

void MemberTable::erase(uint32_t slot) {
  Member& m = slots_[slot];
  // Backward-shift deletion keeps linear probing free of tombstones.
  const size_t mask = index_.size() - 1;
  size_t i = uuid_hash(m.uuid) & mask;
  while (index_[i] != slot) i = (i + 1) & mask;
  size_t hole = i;
  for (size_t j = (hole + 1) & mask; index_[j] != kNoSlot; j = (j + 1) & mask) {
    size_t home = uuid_hash(slots_[index_[j]].uuid) & mask;
    // Move j into the hole unless its home lies cyclically in (hole, j].
    bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole] = kNoSlot;

  std::free(m.payload);
  m = Member();
  free_.push_back(slot);
  --size_;
}

bool MemberTable::set_payload(Member& m, const uint8_t* data, size_t size) {
  if (size == 0) {
    std::free(m.payload);
    m.payload = nullptr;
    m.payload_size = 0;
    return true;
  }
  if (size == m.payload_size) {
    std::memmove(m.payload, data, size);
    return true;
  }
  uint8_t* p = static_cast<uint8_t*>(std::malloc(size));
  if (p == nullptr) return false;
  std::memcpy(p, data, size);
  std::free(m.payload);
  m.payload = p;
  m.payload_size = static_cast<uint16_t>(size);
  return true;
}

}  // namespace swim
