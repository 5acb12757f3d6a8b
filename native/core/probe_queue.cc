#include "core/probe_queue.h"

#include <cstring>

namespace swim {

namespace {
constexpr size_t kNpos = SIZE_MAX;
constexpr size_t kMinIndex = 16;
constexpr size_t kMinCompact = 64;  // FIFO entries popped before compaction is worth it
}  // namespace

size_t ProbeQueue::find_bucket(const Uuid& uuid) const {
  if (index_.empty()) return kNpos;
  const size_t mask = index_.size() - 1;
  for (size_t i = uuid_hash(uuid) & mask;; i = (i + 1) & mask) {
    uint32_t seq = index_[i];
    if (seq == kEmpty) return kNpos;
    if (at(seq).uuid == uuid) return i;
  }
}

bool ProbeQueue::live(uint32_t seq) const {
  size_t b = find_bucket(at(seq).uuid);
  return b != kNpos && index_[b] == seq;
}

void ProbeQueue::index_insert(uint32_t seq) {
  const size_t mask = index_.size() - 1;
  size_t i = uuid_hash(at(seq).uuid) & mask;
  while (index_[i] != kEmpty) i = (i + 1) & mask;
  index_[i] = seq;
}

void ProbeQueue::index_erase(size_t bucket) {
  // Backward-shift deletion (no tombstones), as in the member table.
  const size_t mask = index_.size() - 1;
  size_t hole = bucket;
  for (size_t j = (hole + 1) & mask; index_[j] != kEmpty; j = (j + 1) & mask) {
    size_t home = uuid_hash(at(index_[j]).uuid) & mask;
    bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole] = kEmpty;
}

void ProbeQueue::grow_index() {
  std::vector<uint32_t> old;
  old.swap(index_);
  index_.assign(old.empty() ? kMinIndex : old.size() * 2, kEmpty);
  for (uint32_t seq : old)
    if (seq != kEmpty) index_insert(seq);
}

bool ProbeQueue::push(const Uuid& uuid, Addr addr, size_t cap, uint16_t budget) {
  if (size() >= cap || find_bucket(uuid) != kNpos) return false;
  if ((size() + 1) * 2 > index_.size()) grow_index();
  fifo_.emplace_back();
  Entry& e = fifo_.back();
  e.uuid = uuid;
  e.ip = addr.ip;
  e.port = addr.port;
  e.budget = budget;
  index_insert(base_ + static_cast<uint32_t>(fifo_.size() - 1));
  ++waiting_;
  return true;
}

void ProbeQueue::forget(const Uuid& uuid) {
  if (size() == 0) return;
  size_t b = find_bucket(uuid);
  if (b == kNpos) return;
  size_t pos = static_cast<uint32_t>(index_[b] - base_);
  if (pos >= sent_)
    --waiting_;
  else
    --probed_;
  index_erase(b);
  if (size() == 0) clear();  // everything left in the FIFO is stale
}

const ProbeQueue::Entry* ProbeQueue::take(int64_t deadline) {
  while (waiting_ > 0 && sent_ < fifo_.size()) {
    uint32_t seq = base_ + static_cast<uint32_t>(sent_);
    ++sent_;
    if (!live(seq)) continue;  // its member became known meanwhile
    --waiting_;
    ++probed_;
    Entry& e = at(seq);
    e.deadline = deadline;
    return &e;
  }
  return nullptr;
}

void ProbeQueue::expire(int64_t now) {
  while (head_ < sent_) {
    uint32_t seq = base_ + static_cast<uint32_t>(head_);
    size_t b = find_bucket(at(seq).uuid);
    if (b != kNpos && index_[b] == seq) {
      if (at(seq).deadline > now) break;
      index_erase(b);
      --probed_;
    }
    ++head_;
  }
  if (size() == 0) {
    clear();
  } else {
    compact();
  }
}

void ProbeQueue::compact() {
  if (head_ < kMinCompact || head_ * 2 < fifo_.size()) return;
  fifo_.erase(fifo_.begin(), fifo_.begin() + static_cast<std::ptrdiff_t>(head_));
  base_ += static_cast<uint32_t>(head_);
  sent_ -= head_;
  head_ = 0;
}

void ProbeQueue::clear() {
  // Release the memory: after a bootstrap thousands of entries may have been pending.
  std::vector<Entry>().swap(fifo_);
  std::vector<uint32_t>().swap(index_);
  base_ = 0;
  head_ = sent_ = 0;
  waiting_ = probed_ = 0;
}

bool ProbeQueue::contains(const Uuid& uuid) const { return find_bucket(uuid) != kNpos; }

bool ProbeQueue::probed(const Uuid& uuid) const {
  size_t b = find_bucket(uuid);
  if (b == kNpos) return false;
  uint32_t offset = index_[b] - base_;  // sequence numbers wrap harmlessly
  return offset >= head_ && offset < sent_;
}

const char* ProbeQueue::check() const {
  if (head_ > sent_ || sent_ > fifo_.size()) return "probe queue: cursors out of order";
  size_t used = 0;
  for (uint32_t seq : index_) {
    if (seq == kEmpty) continue;
    ++used;
    size_t pos = static_cast<uint32_t>(seq - base_);
    if (pos < head_ || pos >= fifo_.size()) return "probe queue: index points outside the live FIFO";
  }
  if (used != size()) return "probe queue: index size mismatch";
  if (!index_.empty() && used * 2 > index_.size()) return "probe queue: index overloaded";
  size_t waiting = 0, probed = 0;
  for (size_t pos = head_; pos < fifo_.size(); ++pos)
    if (live(base_ + static_cast<uint32_t>(pos))) ++(pos < sent_ ? probed : waiting);
  if (waiting != waiting_ || probed != probed_) return "probe queue: counts do not match the FIFO";
  return nullptr;
}

}  // namespace swim
