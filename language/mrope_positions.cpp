#include "language/mrope_positions.h"

#include <algorithm>

#include "core/error.h"

namespace vltune::language {

namespace {
const VisionBlock& take_block(TokenKind kind, VisionBlockQueue& blocks, int64_t run, const std::string& where) {
  const bool image = kind == TokenKind::kImage;
  auto& list = image ? blocks.images : blocks.videos;
  auto& next = image ? blocks.next_image : blocks.next_video;
  const char* noun = image ? "image" : "video";
  if (next >= list.size())
    fail(where, ": the text has more ", noun, " runs than the ", list.size(), " ", noun, "s given (", noun,
         " ", next + 1, " has no grid)");
  const auto& block = list[next++];
  if (block.tokens() != run)
    fail(where, ": a run of ", run, " ", noun, " tokens, but ", noun, " ", next, "'s grid gives ", block.tokens(),
         " (", block.t, " x ", block.h, " x ", block.w, " merged tokens)");
  return block;
}
}  // namespace

RowPositions mrope_row_positions(const std::vector<TokenKind>& kinds, VisionBlockQueue& blocks, const std::string& where) {
  RowPositions out;
  for (auto& axis : out.axes) axis.reserve(kinds.size());
  int64_t position = 0, highest = -1;
  for (std::size_t start = 0; start < kinds.size();) {
    std::size_t end = start;
    while (end < kinds.size() && kinds[end] == kinds[start]) ++end;
    const auto run = static_cast<int64_t>(end - start);
    if (kinds[start] == TokenKind::kText) {
      for (int64_t i = 0; i < run; ++i)
        for (auto& axis : out.axes) axis.push_back(position + i);
      highest = std::max(highest, position + run - 1);
      position += run;
    } else {
      const auto& b = take_block(kinds[start], blocks, run, where);
      for (int64_t i = 0; i < b.t; ++i)
        for (int64_t r = 0; r < b.h; ++r)
          for (int64_t c = 0; c < b.w; ++c) {
            out.axes[0].push_back(position + i * b.interval);
            out.axes[1].push_back(position + r);
            out.axes[2].push_back(position + c);
          }
      highest = std::max({highest, position + (b.t - 1) * b.interval, position + b.h - 1, position + b.w - 1});
      position += std::max(b.h, b.w);
    }
    start = end;
  }
  out.next = highest + 1;
  return out;
}

}  // namespace vltune::language
