// datasets/loader.h: deterministic order for any number of workers, a new shuffle each epoch,
// exact resume from a saved position, bounded prefetch, skipped samples and errors in order.
#include <atomic>
#include <memory>
#include <set>

#include "datasets/loader.h"
#include "test_support.h"

namespace vltune::datasets {
namespace {

std::vector<int64_t> take(DataLoader<int64_t>& loader, int n) {
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(loader.next());
  return out;
}

DataLoader<int64_t>::Prepare identity() {
  return [](int64_t i) { return std::optional<int64_t>(i); };
}

TEST(Loader, SameOrderForAnyNumberOfWorkers) {
  DataLoader<int64_t> one(10, identity(), {1, 4, 42, true});
  DataLoader<int64_t> four(10, identity(), {4, 3, 42, true});
  const auto a = take(one, 30), b = take(four, 30);
  EXPECT_EQ(a, b);
  // Each epoch is a permutation, and the epochs differ.
  const std::vector<int64_t> e0(a.begin(), a.begin() + 10), e1(a.begin() + 10, a.begin() + 20);
  EXPECT_EQ(std::set<int64_t>(e0.begin(), e0.end()).size(), 10u);
  EXPECT_NE(e0, e1);
  EXPECT_EQ(e0, epoch_order(10, 42, 0, true));
  DataLoader<int64_t> plain(5, identity(), {2, 2, 42, false});
  EXPECT_EQ(take(plain, 7), (std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1}));
}

TEST(Loader, ResumesExactlyFromASavedPosition) {
  DataLoader<int64_t> whole(7, identity(), {3, 4, 5, true});
  const auto stream = take(whole, 20);
  LoaderPosition saved;
  {
    DataLoader<int64_t> first(7, identity(), {2, 4, 5, true});
    take(first, 9);
    saved = first.position();
  }
  EXPECT_EQ(saved.epoch, 1);
  EXPECT_EQ(saved.cursor, 2);
  DataLoader<int64_t> resumed(7, identity(), {2, 4, 5, true}, saved);
  EXPECT_EQ(take(resumed, 11), std::vector<int64_t>(stream.begin() + 9, stream.end()));
}

// Distributed training: the shards' draws, interleaved, are the one loader's stream, across epoch
// ends (7 samples, 3 shards), and every shard reports the whole stream's position, so a checkpoint
// saved by any of them resumes all of them where they were.
TEST(Loader, ShardsTogetherDrawTheSingleLoadersStream) {
  DataLoader<int64_t> whole(7, identity(), {2, 4, 5, true});
  const auto stream = take(whole, 30);
  std::vector<std::unique_ptr<DataLoader<int64_t>>> shards;
  for (int64_t s = 0; s < 3; ++s) {
    LoaderOptions options{2, 4, 5, true};
    options.shard = s;
    options.shards = 3;
    shards.push_back(std::make_unique<DataLoader<int64_t>>(7, identity(), options));
  }
  std::vector<int64_t> interleaved;
  for (int draw = 0; draw < 5; ++draw)
    for (auto& shard : shards) interleaved.push_back(shard->next());
  EXPECT_EQ(interleaved, std::vector<int64_t>(stream.begin(), stream.begin() + 15));
  for (auto& shard : shards) {
    EXPECT_EQ(shard->position().epoch, 2);  // 15 draws of 7: epoch 2, cursor 1
    EXPECT_EQ(shard->position().cursor, 1);
  }
  std::vector<int64_t> resumed;
  for (int64_t s = 0; s < 3; ++s) {
    LoaderOptions options{2, 4, 5, true};
    options.shard = s;
    options.shards = 3;
    DataLoader<int64_t> shard(7, identity(), options, shards[0]->position());
    const auto draws = take(shard, 5);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(draws[i], stream[15 + 3 * i + s]) << "shard " << s << ", draw " << i;
  }
  LoaderOptions bad{2, 4, 5, true};
  bad.shard = 3;
  bad.shards = 3;
  test::expect_error([&] { DataLoader<int64_t> loader(7, identity(), bad); }, {"shard 3 of 3"});
}

TEST(Loader, WorkersStayWithinThePrefetchDepth) {
  std::atomic<int> prepared{0};
  DataLoader<int64_t> loader(100, [&](int64_t i) { ++prepared; return std::optional<int64_t>(i); }, {3, 5, 0, true});
  take(loader, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_LE(prepared.load(), 2 + 5);
}

TEST(Loader, SkipsAndErrorsArriveInOrder) {
  DataLoader<int64_t> loader(6, [](int64_t i) -> std::optional<int64_t> {
    if (i == 2) return std::nullopt;
    if (i == 4) throw Error("[dataset] sample 4: corrupt");
    return i;
  }, {2, 3, 0, false});
  EXPECT_EQ(take(loader, 2), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(loader.next(), 3);  // 2 was skipped
  EXPECT_EQ(loader.skipped(), 1);
  test::expect_error([&] { loader.next(); }, {"sample 4: corrupt"});
  EXPECT_EQ(loader.next(), 5);
}

}  // namespace
}  // namespace vltune::datasets
