#include "core/contacts.h"

#include <algorithm>

namespace swim {

static_assert(Contacts::kMaxSeeds + Contacts::kMaxLost + Contacts::kMaxWatch <= 256,
              "an entry index must fit the 8 low bits of a sorted key");

void Contacts::reindex() {
  sorted_.clear();
  heal_targets_ = 0;
  for (size_t i = 0; i < list_.size(); ++i) {
    sorted_.push_back(key(list_[i].addr) << 8 | i);
    if ((list_[i].kinds & (kSeed | kLost)) && !(list_[i].kinds & kSelf)) ++heal_targets_;
  }
  std::sort(sorted_.begin(), sorted_.end());
  if (list_.empty()) {
    std::vector<Entry>().swap(list_);
    std::vector<uint64_t>().swap(sorted_);
  }
}

int Contacts::find(Addr addr) const {
  if (sorted_.empty()) return -1;
  uint64_t k = key(addr) << 8;
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), k);
  if (it == sorted_.end() || (*it >> 8) != key(addr)) return -1;
  return static_cast<int>(*it & 0xff);
}

Contacts::Entry& Contacts::upsert(Addr addr) {
  int i = find(addr);
  if (i >= 0) return list_[static_cast<size_t>(i)];
  list_.emplace_back();
  list_.back().addr = addr;
  reindex();
  return list_.back();
}

void Contacts::drop_kind(size_t i, uint8_t kind) {
  list_[i].kinds &= static_cast<uint8_t>(~kind);
  if ((list_[i].kinds & ~kSelf) == 0) list_.erase(list_.begin() + static_cast<std::ptrdiff_t>(i));
}

void Contacts::evict_oldest(uint8_t kind, size_t max) {
  for (;;) {
    size_t n = 0, oldest = 0;
    for (size_t i = 0; i < list_.size(); ++i) {
      if (!(list_[i].kinds & kind)) continue;
      if (n == 0 || list_[i].stamp < list_[oldest].stamp) oldest = i;
      ++n;
    }
    if (n <= max) return;
    drop_kind(oldest, kind);
  }
}

void Contacts::set_seeds(const std::vector<Addr>& seeds) {
  for (size_t i = list_.size(); i-- > 0;)
    if (list_[i].kinds & kSeed) drop_kind(i, kSeed);
  reindex();
  size_t n = 0;
  for (Addr a : seeds) {
    if (n == kMaxSeeds) break;
    Entry& e = upsert(a);
    if (!(e.kinds & kSeed)) ++n;
    e.kinds |= kSeed;
  }
  reindex();
}

void Contacts::add_lost(Addr addr) { add_recent(addr, kLost, kMaxLost); }

void Contacts::add_watch(Addr addr) { add_recent(addr, kWatch, kMaxWatch); }

void Contacts::add_recent(Addr addr, uint8_t kind, size_t max) {
  Entry& e = upsert(addr);
  e.kinds |= kind;
  e.stamp = ++stamp_;
  evict_oldest(kind, max);
  reindex();
}

void Contacts::heard(Addr addr) {
  if (sorted_.empty()) return;
  int i = find(addr);
  if (i >= 0) list_[static_cast<size_t>(i)].heard = ++clock_;
}

void Contacts::mark_self(Addr addr) {
  int i = find(addr);
  if (i < 0 || (list_[static_cast<size_t>(i)].kinds & kSelf)) return;
  list_[static_cast<size_t>(i)].kinds |= kSelf;
  reindex();
}

uint64_t Contacts::heard_from(Addr addr) const {
  int i = find(addr);
  return i < 0 ? 0 : list_[static_cast<size_t>(i)].heard;
}

const char* Contacts::check() const {
  if (sorted_.size() != list_.size()) return "contacts: index size";
  size_t seeds = 0, lost = 0, watch = 0, heal = 0;
  for (size_t i = 0; i < list_.size(); ++i) {
    const Entry& e = list_[i];
    if ((e.kinds & ~kSelf) == 0) return "contacts: entry of no kind";
    if (find(e.addr) != static_cast<int>(i)) return "contacts: index does not find an entry";
    seeds += (e.kinds & kSeed) != 0;
    lost += (e.kinds & kLost) != 0;
    watch += (e.kinds & kWatch) != 0;
    heal += (e.kinds & (kSeed | kLost)) != 0 && !(e.kinds & kSelf);
    if (e.heard > clock_) return "contacts: heard in the future";
  }
  if (seeds > kMaxSeeds || lost > kMaxLost || watch > kMaxWatch) return "contacts: over a bound";
  if (heal != heal_targets_) return "contacts: heal target count";
  return nullptr;
}

}  // namespace swim
