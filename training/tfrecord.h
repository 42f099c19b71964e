// TFRecord framing, the container of TensorBoard event files. Each record is
//   uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | payload | uint32 masked_crc32c(payload)
// (training/crc32c.h). Files only grow by whole records, so a crash can leave at most a torn last
// record, which `scan_tfrecords` reports as truncation, apart from a checksum mismatch.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vltune::training {

// The framed bytes of one record holding `payload`.
std::string frame_tfrecord(std::string_view payload);

struct TfRecord {
  uint64_t offset = 0;  // byte offset of the record's length field in the file
  std::string payload;
};

struct TfRecordScan {
  std::vector<TfRecord> records;  // every whole, verified record before the first damage
  uint64_t valid_bytes = 0;       // where those records end
  bool truncated = false;         // the data ends inside a record
  std::string problem;            // empty when the whole input is valid records
};

// Splits `bytes` into records, stopping at the first damage (bad CRC or truncation).
TfRecordScan scan_tfrecords(std::string_view bytes);

// Reads every record of `path`; throws "[tfrecord] PATH: at byte N: ..." on any damage.
std::vector<TfRecord> read_tfrecord_file(const std::string& path);

}  // namespace vltune::training
