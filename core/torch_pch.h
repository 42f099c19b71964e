// Precompiled header shared by every vltune target: LibTorch dominates compile time (~20 s per
// translation unit without it). Only third-party headers belong here.
#pragma once
#include <torch/torch.h>
