// M-RoPE position ids as transformers' get_rope_index computes them for Qwen2-VL and Qwen2.5-VL,
// with no tensors (torch-free). Per batch row, over its unpadded tokens, runs of equal token type
// (text, image, video) are walked in order:
//   text    positions p, p+1, ... on all three axes (time, row, column); p advances by the run
//   vision  a grid of t x h x w merged tokens at p: time p + i·interval, row p + r, column p + c
//           (time-major, then rows, then columns); then p advances by max(h, w), not by t
// Padded positions are 0. `interval` is 1 for images and Qwen2-VL videos; for Qwen2.5-VL videos it
// is tokens_per_second x the whole seconds of second_per_grid_ts (transformers 5.17 truncates the
// seconds to an integer before multiplying, and takes 1 second when none is given).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vltune::language {

enum class TokenKind : int8_t { kText = 0, kImage = 1, kVideo = 2 };

struct VisionBlock {
  int64_t t = 0, h = 0, w = 0;  // in merged tokens: the LLM's grid
  int64_t interval = 1;         // time ids per temporal patch
  int64_t tokens() const { return t * h * w; }
};

// Hands out the images' and videos' blocks in order across the whole batch (rows share the lists).
struct VisionBlockQueue {
  std::vector<VisionBlock> images, videos;
  std::size_t next_image = 0, next_video = 0;
};

struct RowPositions {
  std::array<std::vector<int64_t>, 3> axes;  // time, row, column, one entry per token given
  int64_t next = 0;                           // the position after the last one: max + 1
};

// `kinds` are the row's unpadded tokens. A vision run whose length differs from its block's token
// count, or more runs than blocks, throws naming `where` (e.g. "[qwen] batch row 1").
RowPositions mrope_row_positions(const std::vector<TokenKind>& kinds, VisionBlockQueue& blocks, const std::string& where);

}  // namespace vltune::language
