// The data loader: worker threads prepare samples (decode, preprocess, tokenize) ahead of the
// trainer, and hand them over in a deterministic order.
//
// Order: epoch e visits the samples in a permutation drawn from (seed, e), or in file order without
// shuffling; any number of workers yields the same sequence. The position (epoch, cursor) after
// each sample can be saved and passed back to resume exactly there.
// Prefetch: workers stay at most `prefetch` samples ahead of the consumer.
// Shards (distributed training): loader `shard` of `shards` hands out the draws shard,
// shard + shards, shard + 2 shards... of that one stream, so that the shards' draws together are
// exactly the single loader's; its position() is the whole stream's (that of shard 0's next draw),
// the same on every shard when each has taken as many draws.
// Bad samples: a prepare function returns nullopt to skip a sample (counted); an exception it
// throws reaches the consumer at that sample's turn. When two epochs' worth of draws in a row
// (2 * count - 1) are skipped, none is usable and next() throws NoUsableSample rather than loop
// forever.
#pragma once
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/error.h"

namespace vltune::datasets {

class NoUsableSample : public Error {
 public:
  using Error::Error;
};

struct LoaderPosition {
  int64_t epoch = 0;
  int64_t cursor = 0;  // samples of this epoch already handed out (or skipped)
};

struct LoaderOptions {
  int workers = 2;
  int prefetch = 8;
  uint64_t seed = 0;
  bool shuffle = true;
  int64_t shard = 0, shards = 1;  // this loader's share of the stream
};

// The order of epoch `epoch` over `count` samples: a Fisher-Yates permutation from (seed, epoch).
std::vector<int64_t> epoch_order(int64_t count, uint64_t seed, int64_t epoch, bool shuffle);

template <class Item>
class DataLoader {
 public:
  using Prepare = std::function<std::optional<Item>(int64_t sample_index)>;

  DataLoader(int64_t count, Prepare prepare, LoaderOptions options, LoaderPosition start = {})
      : count_(count), prepare_(std::move(prepare)), options_(options), consumed_(start) {
    if (count_ <= 0) throw Error("[loader] the dataset is empty: no sample to train on");
    if (start.epoch < 0 || start.cursor < 0 || start.cursor >= count_)
      throw Error(cat("[loader] cannot start at epoch ", start.epoch, ", sample ", start.cursor, " of a dataset of ", count_));
    if (options_.shards < 1 || options_.shard < 0 || options_.shard >= options_.shards)
      throw Error(cat("[loader] shard ", options_.shard, " of ", options_.shards, " does not exist"));
    consumed_ = moved(start, options_.shard);
    start = consumed_;
    issued_ = start;
    order_[start.epoch] = epoch_order(count_, options_.seed, start.epoch, options_.shuffle);
    for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { work(); });
  }
  ~DataLoader() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    for (auto& worker : workers_) worker.join();
  }
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // The next prepared sample (the stream runs on across epochs); rethrows a prepare error.
  Item next() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      const auto key = std::make_pair(consumed_.epoch, consumed_.cursor);
      changed_.wait(lock, [&] { return ready_.count(key) > 0; });
      auto result = std::move(ready_.at(key));
      ready_.erase(key);
      advance(consumed_);
      changed_.notify_all();
      if (result.error) std::rethrow_exception(result.error);
      if (result.item) {
        skipped_in_a_row_ = 0;
        return std::move(*result.item);
      }
      ++skipped_;
      // Each epoch is a permutation of every sample, so a single usable sample recurs within
      // 2 * count - 1 draws (last of one epoch, first of the next is the widest gap); that many
      // skips in a row means none is left.
      if (++skipped_in_a_row_ >= 2 * count_ - 1)
        throw NoUsableSample(cat("[loader] all ", count_, " samples were skipped (", skipped_in_a_row_,
                                 " draws in a row, two epochs' worth): no usable sample remains"));
    }
  }

  LoaderPosition position() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return moved(consumed_, -options_.shard);
  }
  int64_t skipped() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return skipped_;
  }

 private:
  struct Result {
    std::optional<Item> item;
    std::exception_ptr error;
  };

  // `p` moved by `draws` positions of the whole stream (across epochs).
  LoaderPosition moved(const LoaderPosition& p, int64_t draws) const {
    const int64_t at = p.epoch * count_ + p.cursor + draws;
    return {at / count_, at % count_};
  }
  void advance(LoaderPosition& p) { p = moved(p, options_.shards); }
  int64_t distance(const LoaderPosition& a, const LoaderPosition& b) const {
    return ((b.epoch - a.epoch) * count_ + (b.cursor - a.cursor)) / options_.shards;
  }

  void work() {
    for (;;) {
      LoaderPosition job;
      int64_t sample = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stop_ || distance(consumed_, issued_) < std::max(1, options_.prefetch); });
        if (stop_) return;
        job = issued_;
        if (!order_.count(job.epoch)) order_[job.epoch] = epoch_order(count_, options_.seed, job.epoch, options_.shuffle);
        order_.erase(job.epoch - 2);  // finished epochs' orders are no longer needed
        sample = order_.at(job.epoch)[job.cursor];
        advance(issued_);
      }
      Result result;
      try {
        result.item = prepare_(sample);
      } catch (...) {
        result.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ready_.emplace(std::make_pair(job.epoch, job.cursor), std::move(result));
      }
      changed_.notify_all();
    }
  }

  const int64_t count_;
  Prepare prepare_;
  LoaderOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  LoaderPosition consumed_, issued_;
  std::map<int64_t, std::vector<int64_t>> order_;
  std::map<std::pair<int64_t, int64_t>, Result> ready_;
  int64_t skipped_ = 0, skipped_in_a_row_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace vltune::datasets
