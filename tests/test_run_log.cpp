// training observability: CRC32C vectors, TFRecord framing, TensorBoard event files written and
// read back (CRCs verified, damage reported with its byte offset), the progress line, and RunLog's
// metrics.jsonl, event files, resume and summary.json.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <tuple>

#include "test_support.h"
#include "training/append_file.h"
#include "training/crc32c.h"
#include "training/eval_progress.h"
#include "training/progress_line.h"
#include "training/run_header.h"
#include "training/run_log.h"
#include "training/tensorboard_events.h"
#include "training/tfrecord.h"

namespace vltune::training {
namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void overwrite_byte(const std::string& path, uint64_t offset) {
  std::string bytes = read_file_bytes(path);
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x5A);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

void append_bytes(const std::string& path, const std::string& bytes) { AppendFile(path, false).write(bytes); }

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);     // RFC 3720 B.4
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
  // ((0xE3069283 >> 15) | (0xE3069283 << 17)) + 0xA282EAD8 mod 2^32
  EXPECT_EQ(masked_crc32c("123456789"), 0xC78AB0E5u);
}

TEST(TfRecord, FramingAndScan) {
  const std::string framed = frame_tfrecord("abc");
  ASSERT_EQ(framed.size(), 8u + 4 + 3 + 4);
  EXPECT_EQ(framed.substr(0, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(framed.substr(12, 3), "abc");

  const std::string two = framed + frame_tfrecord("");
  const TfRecordScan scan = scan_tfrecords(two);
  EXPECT_TRUE(scan.problem.empty());
  ASSERT_EQ(scan.records.size(), 2u);
  EXPECT_EQ(scan.records[0].payload, "abc");
  EXPECT_EQ(scan.records[1].offset, framed.size());
  EXPECT_EQ(scan.records[1].payload, "");

  const TfRecordScan torn = scan_tfrecords(two.substr(0, two.size() - 2));
  EXPECT_TRUE(torn.truncated);
  EXPECT_EQ(torn.valid_bytes, framed.size());
  EXPECT_EQ(torn.records.size(), 1u);
}

TEST(TensorBoardEvents, WrittenScalarsReadBackExactly) {
  test::TempDir dir;
  std::string path;
  {
    EventWriter writer(dir.path().string(), false);
    path = writer.path();
    writer.add_scalars(1, {{"train/loss", 2.5f}, {"train/lr", 1e-4f}}, 1700000000.25);
    writer.add_scalars(2, {{"train/loss", 2.125f}}, 1700000001.5);
    writer.add_scalars(-3, {{"eval/acc", 0.1f}}, 1700000002.0);
  }
  const std::string name = std::filesystem::path(path).filename().string();
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(events\.out\.tfevents\.\d{10}\..+)"))) << name;
  EXPECT_EQ(event_files(dir.path().string()), std::vector<std::string>{path});

  const EventFile file = read_event_file(path);
  EXPECT_EQ(file.file_version, "brain.Event:2");
  ASSERT_EQ(file.scalars.size(), 4u);
  const std::vector<std::tuple<std::string, int64_t, float, double>> expected = {
      {"train/loss", 1, 2.5f, 1700000000.25}, {"train/lr", 1, 1e-4f, 1700000000.25},
      {"train/loss", 2, 2.125f, 1700000001.5}, {"eval/acc", -3, 0.1f, 1700000002.0}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(file.scalars[i].tag, std::get<0>(expected[i]));
    EXPECT_EQ(file.scalars[i].step, std::get<1>(expected[i]));
    EXPECT_EQ(file.scalars[i].value, std::get<2>(expected[i]));
    EXPECT_EQ(file.scalars[i].wall_time, std::get<3>(expected[i]));
  }
}

TEST(TensorBoardEvents, EventBytesAreProtobufEncoding) {
  test::TempDir dir;
  EventWriter writer(dir.path().string(), false);
  writer.add_scalars(3, {{"a", 2.0f}}, 1.5);
  const auto records = read_tfrecord_file(writer.path());
  ASSERT_EQ(records.size(), 2u);
  // Event{wall_time 1.5 (fixed64), step 3 (varint), summary{value{tag "a", simple_value 2.0f (fixed32)}}}
  const std::string expected("\x09\0\0\0\0\0\0\xF8\x3F" "\x10\x03" "\x2A\x0A" "\x0A\x08" "\x0A\x01" "a" "\x15\0\0\0\x40", 23);
  EXPECT_EQ(records[1].payload, expected);
  // The first record: wall_time, then file_version (field 3) "brain.Event:2".
  EXPECT_EQ(records[0].payload.substr(9), std::string("\x1A\x0D") + "brain.Event:2");
}

TEST(TensorBoardEvents, ReaderSkipsFieldsItDoesNotKnow) {
  test::TempDir dir;
  const std::string path = dir.file("events.out.tfevents.0000000001.other");
  const std::string version("\x09\0\0\0\0\0\0\xF0\x3F" "\x1A\x0D" "brain.Event:2", 24);
  // An Event with a graph_def (field 4), then one whose Summary holds an image value (field 4 of
  // Value, no simple_value) and a scalar with node_name (field 7) before its tag.
  const std::string graph("\x10\x01" "\x22\x03" "xyz", 7);
  const std::string image_value("\x0A\x03" "img" "\x22\x02" "pq", 9);
  const std::string scalar_value("\x3A\x01" "n" "\x0A\x01" "s" "\x15\0\0\x80\x3F", 11);
  const std::string summary = std::string("\x0A\x09") + image_value + std::string("\x0A\x0B") + scalar_value;
  const std::string event = std::string("\x10\x07\x2A", 3) + static_cast<char>(summary.size()) + summary;
  append_bytes(path, frame_tfrecord(version) + frame_tfrecord(graph) + frame_tfrecord(event));
  const EventFile file = read_event_file(path);
  ASSERT_EQ(file.scalars.size(), 1u);
  EXPECT_EQ(file.scalars[0].tag, "s");
  EXPECT_EQ(file.scalars[0].step, 7);
  EXPECT_EQ(file.scalars[0].value, 1.0f);
}

TEST(TensorBoardEvents, DamageIsReportedWithItsOffset) {
  test::TempDir dir;
  std::string path;
  {
    EventWriter writer(dir.path().string(), false);
    path = writer.path();
    writer.add_scalars(1, {{"train/loss", 1.0f}}, 10.0);
    writer.add_scalars(2, {{"train/loss", 0.5f}}, 11.0);
  }
  const auto records = read_tfrecord_file(path);
  ASSERT_EQ(records.size(), 3u);
  const std::string pristine = read_file_bytes(path);
  const uint64_t second = records[1].offset;

  overwrite_byte(path, second + 12 + 3);  // inside the second record's payload
  test::expect_error([&] { read_event_file(path); }, {path, "at byte " + std::to_string(second), "payload's CRC32C does not match"});

  std::ofstream(path, std::ios::binary | std::ios::trunc) << pristine;
  overwrite_byte(path, second + 2);  // its length field
  test::expect_error([&] { read_event_file(path); }, {path, "at byte " + std::to_string(second), "length's CRC32C does not match"});

  std::ofstream(path, std::ios::binary | std::ios::trunc) << pristine.substr(0, records[2].offset + 5);
  test::expect_error([&] { read_event_file(path); }, {path, "at byte " + std::to_string(records[2].offset), "ends inside a record header"});

  // Valid framing around a malformed Event: a length-delimited field running past the end.
  std::ofstream(path, std::ios::binary | std::ios::trunc) << pristine.substr(0, records[2].offset) << frame_tfrecord("\x2A\x09\x0A");
  test::expect_error([&] { read_event_file(path); }, {"[tensorboard] ", path, "at byte " + std::to_string(records[2].offset), "runs past the message's end"});

  std::ofstream(path, std::ios::binary | std::ios::trunc);
  test::expect_error([&] { read_event_file(path); }, {path, "no records", "brain.Event:2"});
}

TEST(ProgressLine, Text) {
  EXPECT_EQ(progress_text(12, 100, {{"loss", 2.3454}, {"lr", 1e-4}, {"tokens_per_s", 1234.4}, {"grad_norm", 0.7}}, 83.2),
            "step 12/100 loss 2.345 lr 1.0e-04 1234 tok/s ETA 00:01:23");
  EXPECT_EQ(progress_text(1, 5, {}, -1.0), "step 1/5 ETA --:--:--");
  // With the step's time and its data wait, both in whole milliseconds.
  EXPECT_EQ(progress_text(3, 10, {{"loss", 1.0}, {"step_time_ms", 310.4}, {"data_ms", 250.6}}, 5.0),
            "step 3/10 loss 1.000 310 ms/step (data 251) ETA 00:00:05");
  EXPECT_EQ(format_duration(360000.0), "100:00:00");
  EXPECT_EQ(format_duration(0.4), "00:00:00");
}

// Issue 14, item 7: the lines `train` prints before its first step.
TEST(RunHeader, SaysWhatTheRunWillDo) {
  RunHeader header;
  header.run_dir = "runs/quickstart";
  header.train_samples = 48;
  header.eval_samples = 16;
  header.eval_scored = 16;
  header.bad_samples = 2;
  header.trainable_params = 12288;
  header.model_params = 2359296;
  header.steps = 40;
  header.samples_per_step = 8;
  EXPECT_EQ(run_header_text(header),
            "run runs/quickstart (a new run)\n"
            "  data      48 training samples (2 bad samples skipped), 16 evaluation samples\n"
            "  adapters  12,288 trainable parameters (0.52% of the model's 2,359,296)\n"
            "  schedule  40 steps of 8 samples = 6.67 epochs");
  header.start_step = 20;
  header.bad_samples = 1;
  const auto resumed = run_header_text(header);
  EXPECT_EQ(resumed.substr(0, resumed.find('\n')), "run runs/quickstart (resumed at step 20)");
  EXPECT_THAT(resumed, HasSubstr("(1 bad sample skipped)"));
  // Issue 14, item 7: eval.max_samples caps what is scored, and the header says so.
  header.eval_samples = 400;
  header.eval_scored = 100;
  EXPECT_THAT(run_header_text(header), HasSubstr("(1 bad sample skipped), eval 100 of 400 samples\n"));
}

// Issue 14, item 7: progress through an evaluation; a few lines when not on a terminal.
TEST(EvalProgress, PlainLinesAtEachQuarterLiveLineInPlace) {
  std::ostringstream plain;
  {
    EvalProgress progress(&plain, 200, /*live=*/false);
    for (int64_t done = 0; done <= 200; ++done) progress.done(done);
  }
  EXPECT_EQ(plain.str(),
            "vltune: info: eval 50/200\nvltune: info: eval 100/200\nvltune: info: eval 150/200\nvltune: info: eval 200/200\n");
  std::ostringstream small;
  {
    EvalProgress progress(&small, 3, false);
    for (int64_t done = 0; done <= 3; ++done) progress.done(done);
  }
  EXPECT_EQ(small.str(), "vltune: info: eval 1/3\nvltune: info: eval 2/3\nvltune: info: eval 3/3\n");
  std::ostringstream live;
  {
    EvalProgress progress(&live, 2, /*live=*/true);
    progress.done(1);
    progress.done(2);
  }
  EXPECT_EQ(live.str(), "\reval 1/2\x1b[K\reval 2/2\x1b[K\r\x1b[K");
  EvalProgress nowhere(nullptr, 5, false);
  nowhere.done(5);  // shows nothing, and does not crash
  EXPECT_FALSE(is_terminal(&plain));
}

TEST(RunLog, MetricsJsonlEventsAndConsole) {
  test::TempDir dir;
  const std::string run = dir.path().string();
  std::ostringstream console;
  {
    RunLog log(run, 10, false, console, ProgressStyle::kPlain);
    log.step(1, {{"loss", 2.75}, {"lr", 1e-4}, {"grad_norm", 0.3}, {"tokens_per_s", 1000}});
    log.step(2, {{"loss", 2.5}, {"lr", 2e-4}, {"grad_norm", 0.25}, {"tokens_per_s", 1100}});
    log.eval(2, {{"exact_match", 0.5}});
  }
  const auto lines = lines_of(dir.file("metrics.jsonl"));
  ASSERT_EQ(lines.size(), 3u);
  const auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first.at("kind"), "train");
  EXPECT_EQ(first.at("step"), 1);
  EXPECT_EQ(first.at("loss").get<double>(), 2.75);
  EXPECT_EQ(first.at("lr").get<double>(), 1e-4);
  EXPECT_EQ(first.at("grad_norm").get<double>(), 0.3);
  EXPECT_GT(first.at("wall_time").get<double>(), 1.6e9);
  EXPECT_EQ(nlohmann::json::parse(lines[1]).at("lr").get<double>(), 2e-4);
  const auto eval = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(eval.at("kind"), "eval");
  EXPECT_EQ(eval.at("exact_match").get<double>(), 0.5);

  const auto files = event_files(run);
  ASSERT_EQ(files.size(), 1u);
  const auto scalars = read_event_file(files[0]).scalars;
  ASSERT_EQ(scalars.size(), 9u);  // 4 + 4 train values, 1 eval
  EXPECT_EQ(scalars[0].tag, "train/grad_norm");  // a step's scalars in name order
  EXPECT_EQ(scalars[0].value, 0.3f);
  EXPECT_EQ(scalars[5].tag, "train/loss");
  EXPECT_EQ(scalars[5].step, 2);
  EXPECT_EQ(scalars[5].value, 2.5f);
  EXPECT_EQ(scalars[8].tag, "eval/exact_match");
  EXPECT_EQ(scalars[8].value, 0.5f);

  const std::string text = console.str();
  EXPECT_THAT(text, HasSubstr("vltune: info: step 1/10 loss 2.750 lr 1.0e-04 1000 tok/s ETA "));
  EXPECT_THAT(text, HasSubstr("vltune: info: step 2/10 loss 2.500 lr 2.0e-04 1100 tok/s ETA "));
  EXPECT_THAT(text, HasSubstr("vltune: info: eval at step 2: exact_match 0.5\n"));
  EXPECT_THAT(text, Not(HasSubstr("\r")));
}

TEST(RunLog, LiveLineIsRewrittenInPlace) {
  test::TempDir dir;
  std::ostringstream console;
  {
    RunLog log(dir.path().string(), 3, false, console, ProgressStyle::kLive);
    log.step(1, {{"loss", 1.0}});
    log.step(2, {{"loss", 0.5}});
  }
  const std::string text = console.str();
  EXPECT_EQ(text.rfind("\rstep 1/3 loss 1.000 ETA ", 0), 0u) << text;
  EXPECT_THAT(text, HasSubstr("\x1b[K\rstep 2/3 loss 0.500 ETA "));
  EXPECT_EQ(text.back(), '\n');  // the destructor ends the live line
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

TEST(RunLog, ResumeAppendsAndRepairsATornTail) {
  test::TempDir dir;
  const std::string run = dir.path().string();
  std::ostringstream console;
  {
    RunLog log(run, 4, false, console, ProgressStyle::kPlain);
    log.step(1, {{"loss", 4.0}});
    log.step(2, {{"loss", 3.0}});
  }
  // A crash mid-write: half a JSON line and half a record.
  const std::string events = event_files(run).at(0);
  append_bytes(dir.file("metrics.jsonl"), "{\"kind\":\"tra");
  append_bytes(events, frame_tfrecord("torn").substr(0, 7));
  {
    RunLog log(run, 4, true, console, ProgressStyle::kPlain);
    log.step(3, {{"loss", 2.0}});
    log.step(4, {{"loss", 1.0}});
  }
  const auto lines = lines_of(dir.file("metrics.jsonl"));
  ASSERT_EQ(lines.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    const auto line = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(line.at("step"), i + 1);
    EXPECT_EQ(line.at("loss").get<double>(), 4.0 - i);
  }
  ASSERT_EQ(event_files(run), std::vector<std::string>{events});
  const auto scalars = read_event_file(events).scalars;
  ASSERT_EQ(scalars.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(scalars[i].step, i + 1);
    EXPECT_EQ(scalars[i].value, static_cast<float>(4.0 - i));
  }
  EXPECT_EQ(read_tfrecord_file(events).size(), 5u);  // one file_version record, four steps

  // A fresh run in the same folder starts over.
  RunLog(run, 4, false, console, ProgressStyle::kPlain).step(1, {{"loss", 9.0}});
  EXPECT_EQ(lines_of(dir.file("metrics.jsonl")).size(), 1u);
  const auto fresh = event_files(run);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(read_event_file(fresh[0]).scalars.size(), 1u);
}

// Issue 14, defect 2: the steps a killed run logged after its last checkpoint are logged again by
// the resumed run; metrics.jsonl holds each once (the resumed run's), and keeps a line it cannot read.
TEST(RunLog, ResumeDropsTheLinesLoggedAfterItsCheckpoint) {
  test::TempDir dir;
  const std::string run = dir.path().string();
  std::ostringstream console;
  {
    RunLog log(run, 5, false, console, ProgressStyle::kPlain);
    log.set_start_step(0);
    for (int step = 1; step <= 4; ++step) log.step(step, {{"loss", 10.0 + step}});
    log.eval(2, {{"loss", 7.0}});
    log.eval(4, {{"loss", 6.0}});
  }
  append_bytes(dir.file("metrics.jsonl"), "{\"note\": \"added by hand\"}\n");
  {
    RunLog log(run, 5, true, console, ProgressStyle::kPlain);
    log.set_start_step(2);  // resumed from the checkpoint of step 2
    for (int step = 3; step <= 5; ++step) log.step(step, {{"loss", 1.0 * step}});
  }
  std::vector<std::tuple<std::string, int64_t, double>> logged;
  for (const auto& text : lines_of(dir.file("metrics.jsonl"))) {
    const auto line = nlohmann::json::parse(text);
    if (!line.contains("step")) {
      EXPECT_EQ(line.at("note"), "added by hand");
      continue;
    }
    logged.emplace_back(line.at("kind").get<std::string>(), line.at("step").get<int64_t>(), line.at("loss").get<double>());
  }
  const std::vector<std::tuple<std::string, int64_t, double>> expected = {
      {"train", 1, 11.0}, {"train", 2, 12.0}, {"eval", 2, 7.0}, {"train", 3, 3.0}, {"train", 4, 4.0}, {"train", 5, 5.0}};
  EXPECT_EQ(logged, expected);
  EXPECT_EQ(lines_of(dir.file("metrics.jsonl")).size(), 7u);
}

TEST(RunLog, ResumeRefusesAnEventFileWithABadChecksum) {
  test::TempDir dir;
  const std::string run = dir.path().string();
  std::ostringstream console;
  RunLog(run, 2, false, console, ProgressStyle::kPlain).step(1, {{"loss", 1.0}});
  const std::string events = event_files(run).at(0);
  const uint64_t second = read_tfrecord_file(events).at(1).offset;
  overwrite_byte(events, second + 14);
  test::expect_error([&] { RunLog(run, 2, true, console, ProgressStyle::kPlain); },
                     {events, "at byte " + std::to_string(second), "payload's CRC32C", "cannot append"});
}

TEST(RunLog, SummaryIsPrintedAndWritten) {
  test::TempDir dir;
  std::ostringstream console;
  RunLog log(dir.path().string(), 2, false, console, ProgressStyle::kPlain);
  log.step(1, {{"loss", 1.5}});
  RunSummary run;
  run.steps = 2;
  run.tokens = 4096;
  run.bad_samples_skipped = 3;
  run.final_metrics = {{"loss", 1.25}, {"exact_match", 0.75}};
  log.summary(run);

  std::ifstream in(dir.file("summary.json"));
  const auto summary = nlohmann::json::parse(in);
  EXPECT_EQ(summary.at("steps"), 2);
  EXPECT_EQ(summary.at("tokens"), 4096);
  EXPECT_EQ(summary.at("bad_samples_skipped"), 3);
  EXPECT_EQ(summary.at("final_metrics").at("loss").get<double>(), 1.25);
  EXPECT_EQ(summary.at("final_metrics").at("exact_match").get<double>(), 0.75);
  EXPECT_EQ(summary.at("device"), "cpu");
  EXPECT_GT(summary.at("peak_rss_bytes").get<int64_t>(), 1 << 20);
  EXPECT_GT(summary.at("wall_seconds").get<double>(), 0.0);
  EXPECT_FALSE(summary.contains("peak_device_allocated_bytes"));

  const std::string text = console.str();
  EXPECT_THAT(text, HasSubstr("vltune: info: run summary: 2 steps in 00:00:"));
  EXPECT_THAT(text, HasSubstr("3 bad samples skipped\n"));
  EXPECT_THAT(text, HasSubstr("vltune: info: final metrics: exact_match 0.75, loss 1.25\n"));
}

TEST(RunLog, ReservedScalarNamesAreRefused) {
  test::TempDir dir;
  std::ostringstream console;
  RunLog log(dir.path().string(), 2, false, console, ProgressStyle::kPlain);
  test::expect_error([&] { log.step(1, {{"step", 1.0}}); }, {"[run] scalar name 'step'", "other than kind, step and wall_time"});
  test::expect_error([&] { log.eval(1, {{"", 1.0}}); }, {"scalar name ''"});
}

}  // namespace
}  // namespace vltune::training
