// CRC32C (Castagnoli): the checksum TFRecord files carry. Reflected, polynomial 0x82F63B78,
// initial value and final xor 0xFFFFFFFF, computed a byte at a time from a 256-entry table.
// TFRecord stores it masked, mask(c) = ((c >> 15) | (c << 17)) + 0xA282EAD8 (mod 2^32), so that a
// CRC of data that itself holds CRCs stays well distributed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vltune::training {

uint32_t crc32c(std::string_view bytes);
uint32_t masked_crc32c(std::string_view bytes);

}  // namespace vltune::training
