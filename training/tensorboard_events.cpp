#include "training/tensorboard_events.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "core/error.h"
#include "core/log.h"
#include "training/tfrecord.h"

namespace fs = std::filesystem;

namespace vltune::training {

namespace {
// Protobuf wire types.
constexpr int kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

constexpr int kWallTimeField = 1, kStepField = 2, kFileVersionField = 3, kSummaryField = 5;  // of Event
constexpr int kValueField = 1;                                                                // of Summary
constexpr int kTagField = 1, kSimpleValueField = 2;                                           // of Summary.Value

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void put_key(std::string& out, int field, int wire_type) { put_varint(out, (static_cast<uint64_t>(field) << 3) | wire_type); }

template <class T>
void put_fixed(std::string& out, int field, T value) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8);
  put_key(out, field, sizeof(T) == 8 ? kFixed64 : kFixed32);
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // protobuf fixed fields are little-endian, as this host
  out.append(bytes, sizeof(T));
}

void put_bytes(std::string& out, int field, std::string_view bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out.append(bytes);
}

std::string event_header(double wall_time, int64_t step) {
  std::string event;
  put_fixed(event, kWallTimeField, wall_time);
  if (step != 0) {
    put_key(event, kStepField, kVarint);
    put_varint(event, static_cast<uint64_t>(step));  // negative steps take ten bytes, as protobuf's int64
  }
  return event;
}

// One field of a message: its number, wire type, and value (varints in `number_value`, the bytes of
// fixed and length-delimited fields in `bytes`).
struct Field {
  int number = 0;
  int wire_type = 0;
  uint64_t number_value = 0;
  std::string_view bytes;
};

// Walks the fields of one encoded message; malformed input throws a plain message that the
// caller prefixes with the file and offset.
class MessageReader {
 public:
  explicit MessageReader(std::string_view data) : data_(data) {}

  bool next(Field& field) {
    if (data_.empty()) return false;
    const uint64_t key = varint();
    field.number = static_cast<int>(key >> 3);
    field.wire_type = static_cast<int>(key & 7);
    field.bytes = {};
    switch (field.wire_type) {
      case kVarint: field.number_value = varint(); break;
      case kFixed64: field.bytes = take(8); break;
      case kFixed32: field.bytes = take(4); break;
      case kLengthDelimited: field.bytes = take(varint()); break;
      default: throw Error(cat("field ", field.number, " has wire type ", field.wire_type, "; expected 0, 1, 2 or 5"));
    }
    return true;
  }

 private:
  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (data_.empty()) throw Error("the message ends inside a varint");
      const auto byte = static_cast<uint8_t>(data_.front());
      data_.remove_prefix(1);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (!(byte & 0x80)) return value;
    }
    throw Error("a varint is longer than ten bytes");
  }

  std::string_view take(uint64_t size) {
    if (size > data_.size()) throw Error(cat("a field of ", size, " bytes runs past the message's end"));
    const auto bytes = data_.substr(0, size);
    data_.remove_prefix(size);
    return bytes;
  }

  std::string_view data_;
};

void expect_wire_type(const Field& field, int wire_type, const char* name) {
  if (field.wire_type != wire_type) throw Error(cat(name, " (field ", field.number, ") has wire type ", field.wire_type, "; expected ", wire_type));
}

template <class T>
T fixed_value(const Field& field, const char* name) {
  expect_wire_type(field, sizeof(T) == 8 ? kFixed64 : kFixed32, name);
  T value;
  std::memcpy(&value, field.bytes.data(), sizeof(T));
  return value;
}

// Appends the scalars of one Summary; values other than simple_value (images, tensors) are skipped.
void read_summary(std::string_view summary, int64_t step, double wall_time, std::vector<ScalarEvent>& out) {
  MessageReader reader(summary);
  Field field;
  while (reader.next(field)) {
    if (field.number != kValueField) continue;
    expect_wire_type(field, kLengthDelimited, "Summary.value");
    MessageReader value_reader(field.bytes);
    Field value_field;
    ScalarEvent scalar{"", step, 0.0f, wall_time};
    bool has_simple_value = false;
    while (value_reader.next(value_field)) {
      if (value_field.number == kTagField) {
        expect_wire_type(value_field, kLengthDelimited, "Value.tag");
        scalar.tag = std::string(value_field.bytes);
      } else if (value_field.number == kSimpleValueField) {
        scalar.value = fixed_value<float>(value_field, "Value.simple_value");
        has_simple_value = true;
      }
    }
    if (has_simple_value) out.push_back(std::move(scalar));
  }
}

std::string new_event_file_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || !host[0]) std::strcpy(host, "localhost");
  char name[320];
  std::snprintf(name, sizeof(name), "events.out.tfevents.%010lld.%s", static_cast<long long>(unix_seconds_now()), host);
  return name;
}

// The file an EventWriter appends to; when continuing, a torn last record is cut off first.
std::string event_file_to_open(const std::string& dir, bool continue_newest) {
  fs::create_directories(dir);
  const auto existing = event_files(dir);
  if (!continue_newest || existing.empty()) return (fs::path(dir) / new_event_file_name()).string();
  const std::string& newest = existing.back();
  const TfRecordScan scan = scan_tfrecords(read_file_bytes(newest));
  if (!scan.problem.empty()) {
    if (!scan.truncated) fail("[tensorboard] ", newest, ": at byte ", scan.valid_bytes, ": ", scan.problem, "; cannot append to a damaged event file");
    log_warning(cat("[tensorboard] ", newest, ": dropping a torn record at byte ", scan.valid_bytes, " (", scan.problem, ")"));
    truncate_file(newest, scan.valid_bytes);
  }
  return newest;
}
}  // namespace

double unix_seconds_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

EventWriter::EventWriter(const std::string& dir, bool continue_newest)
    : file_(event_file_to_open(dir, continue_newest), /*truncate=*/!continue_newest) {
  if (fs::file_size(file_.path()) > 0) return;
  std::string event = event_header(unix_seconds_now(), 0);
  put_bytes(event, kFileVersionField, kEventFileVersion);
  file_.write(frame_tfrecord(event));
}

void EventWriter::add_scalars(int64_t step, const TaggedScalars& values, double wall_time) {
  std::string summary;
  for (const auto& [tag, value] : values) {
    std::string encoded_value;
    put_bytes(encoded_value, kTagField, tag);
    put_fixed(encoded_value, kSimpleValueField, value);
    put_bytes(summary, kValueField, encoded_value);
  }
  std::string event = event_header(wall_time, step);
  put_bytes(event, kSummaryField, summary);
  file_.write(frame_tfrecord(event));
}

std::vector<std::string> event_files(const std::string& dir) {
  std::vector<std::string> found;
  if (!fs::is_directory(dir)) return found;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().filename().string().find("tfevents") != std::string::npos)
      found.push_back(entry.path().string());
  std::sort(found.begin(), found.end());
  return found;
}

EventFile read_event_file(const std::string& path) {
  EventFile file;
  const auto records = read_tfrecord_file(path);
  if (records.empty()) fail("[tensorboard] ", path, ": no records; expected a first Event with file_version \"", kEventFileVersion, "\"");
  for (std::size_t i = 0; i < records.size(); ++i) {
    try {
      double wall_time = 0;
      int64_t step = 0;
      std::string_view summary;
      MessageReader reader(records[i].payload);
      Field field;
      while (reader.next(field)) {
        if (field.number == kWallTimeField) {
          wall_time = fixed_value<double>(field, "Event.wall_time");
        } else if (field.number == kStepField) {
          expect_wire_type(field, kVarint, "Event.step");
          step = static_cast<int64_t>(field.number_value);
        } else if (field.number == kFileVersionField) {
          expect_wire_type(field, kLengthDelimited, "Event.file_version");
          if (i == 0) file.file_version = std::string(field.bytes);
        } else if (field.number == kSummaryField) {
          expect_wire_type(field, kLengthDelimited, "Event.summary");
          summary = field.bytes;
        }
      }
      if (i == 0 && file.file_version.empty()) throw Error(cat("the first Event has no file_version; expected \"", kEventFileVersion, "\""));
      if (!summary.empty()) read_summary(summary, step, wall_time, file.scalars);
    } catch (const Error& e) {
      fail("[tensorboard] ", path, ": at byte ", records[i].offset, ": ", e.what());
    }
  }
  return file;
}

}  // namespace vltune::training
