// Packed batches (recipe key data.packing): a micro-batch's samples laid end to end in rows of at
// most `budget` tokens (data.max_length), instead of one padded row each. Torch-free: the plan only.
//
// The plan is first-fit decreasing: samples in order of length, longest first (ties: the earlier
// sample first), each into the first row with room, else a new row; within a row the samples keep
// their batch order, and rows are numbered in the order they were opened. It depends only on the
// lengths, so a micro-batch (drawn as without packing: the loader's order and resume are untouched)
// always packs the same way.
//
// What a packed row means to the model (training/batch.cpp builds it): the attention mask numbers
// the row's samples 1, 2, ... (0: padding), and the decoder lets a query see only keys of its own
// sample (language/llama.h); position ids restart at 0 for each sample (M-RoPE: computed per
// sample, multimodal/qwen2_vl.cpp); the label of each sample's first token is -100, so no position
// predicts the next sample's first token. Each sample's loss terms are then those of its unpacked
// row, and the trainer's normalisation (per target token over the step) is unchanged.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vltune::training {

struct PackedRow {
  std::vector<std::size_t> samples;  // indices into the micro-batch, in batch order
  int64_t length = 0;                // their tokens together (<= budget)
};

// The rows for samples of `lengths` tokens. Throws "[train] ..." naming data.max_length when a
// sample is longer than `budget` (preparation fits every sample to data.max_length, so that is a bug
// upstream) or budget < 1.
std::vector<PackedRow> pack_rows(const std::vector<int64_t>& lengths, int64_t budget);

// One row per sample, in order: the unpacked batch as the same structure.
std::vector<PackedRow> one_sample_per_row(const std::vector<int64_t>& lengths);

// The samples in row-major order (row 0's, then row 1's, ...): the order the batch's visual tokens take.
std::vector<std::size_t> row_major_order(const std::vector<PackedRow>& rows);

}  // namespace vltune::training
