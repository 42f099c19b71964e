#include "training/tfrecord.h"

#include "core/error.h"
#include "training/append_file.h"
#include "training/crc32c.h"

namespace vltune::training {

namespace {
constexpr uint64_t kHeaderBytes = 8 + 4;  // length, its CRC
constexpr uint64_t kFooterBytes = 4;      // the payload's CRC

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFu));
}

uint64_t get_le(std::string_view in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return value;
}
}  // namespace

std::string frame_tfrecord(std::string_view payload) {
  std::string out;
  out.reserve(kHeaderBytes + payload.size() + kFooterBytes);
  put_le(out, payload.size(), 8);
  put_le(out, masked_crc32c(std::string_view(out.data(), 8)), 4);
  out.append(payload);
  put_le(out, masked_crc32c(payload), 4);
  return out;
}

TfRecordScan scan_tfrecords(std::string_view bytes) {
  TfRecordScan scan;
  uint64_t at = 0;
  const uint64_t size = bytes.size();
  while (at < size) {
    if (size - at < kHeaderBytes) {
      scan.truncated = true;
      scan.problem = cat("the file ends inside a record header (", size - at, " of ", kHeaderBytes, " bytes)");
      break;
    }
    const uint64_t length = get_le(bytes.substr(at), 8);
    if (get_le(bytes.substr(at + 8), 4) != masked_crc32c(bytes.substr(at, 8))) {
      scan.problem = "the length's CRC32C does not match";
      break;
    }
    if (size - at - kHeaderBytes < kFooterBytes || length > size - at - kHeaderBytes - kFooterBytes) {
      scan.truncated = true;
      scan.problem = cat("the file ends inside a record of ", length, " bytes");
      break;
    }
    const std::string_view payload = bytes.substr(at + kHeaderBytes, length);
    if (get_le(bytes.substr(at + kHeaderBytes + length), 4) != masked_crc32c(payload)) {
      scan.problem = "the payload's CRC32C does not match";
      break;
    }
    scan.records.push_back({at, std::string(payload)});
    at += kHeaderBytes + length + kFooterBytes;
  }
  scan.valid_bytes = at;
  return scan;
}

std::vector<TfRecord> read_tfrecord_file(const std::string& path) {
  TfRecordScan scan = scan_tfrecords(read_file_bytes(path));
  if (!scan.problem.empty()) fail("[tfrecord] ", path, ": at byte ", scan.valid_bytes, ": ", scan.problem);
  return std::move(scan.records);
}

}  // namespace vltune::training
