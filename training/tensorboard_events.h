// TensorBoard scalar event files, written and read without protobuf or TensorFlow.
//
// A file is named events.out.tfevents.<10-digit unix seconds>.<hostname> and holds TFRecords
// (training/tfrecord.h) whose payloads are tensorflow.Event messages, encoded by hand:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; }
// The first record carries file_version "brain.Event:2"; each later one one step's scalars.
// The reader verifies both CRCs of every record and skips fields it does not know (graphs,
// images, histograms), so files written by TensorFlow read too, their scalars included.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "training/append_file.h"

namespace vltune::training {

inline constexpr const char* kEventFileVersion = "brain.Event:2";

struct ScalarEvent {
  std::string tag;
  int64_t step = 0;
  float value = 0;
  double wall_time = 0;  // unix seconds
};

using TaggedScalars = std::vector<std::pair<std::string, float>>;

class EventWriter {
 public:
  // Starts events.out.tfevents.<now>.<hostname> in `dir` with the file_version record; with
  // `continue_newest` it appends to the folder's newest event file instead (when there is one),
  // first dropping a record torn by a crash. A checksum error there is reported, not repaired.
  EventWriter(const std::string& dir, bool continue_newest);

  // One Event at `step` holding every (tag, value).
  void add_scalars(int64_t step, const TaggedScalars& values, double wall_time);
  const std::string& path() const { return file_.path(); }

 private:
  AppendFile file_;
};

// The event files of a folder (names containing "tfevents"), oldest first.
std::vector<std::string> event_files(const std::string& dir);

struct EventFile {
  std::string file_version;          // the first record's
  std::vector<ScalarEvent> scalars;  // in file order
};

// Reads one event file. Throws naming the file and the byte offset of the record at fault on a
// bad CRC or a truncated record ("[tfrecord] ..."), a malformed Event, or a first record that is
// not a file_version ("[tensorboard] ...").
EventFile read_event_file(const std::string& path);

// Unix time now, in seconds with sub-second precision.
double unix_seconds_now();

}  // namespace vltune::training
