#include "datasets/builtin/synthetic_video.h"

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "core/atomic_file.h"
#include "core/error.h"
#include "vision/media/media.h"

namespace fs = std::filesystem;

namespace vltune::datasets {

namespace {

const char* kShapeNames[] = {"circle", "square", "triangle"};
const char* kColourNames[] = {"red", "green", "blue", "yellow"};
const std::array<uint8_t, 3> kColours[] = {{230, 40, 40}, {40, 200, 60}, {50, 80, 240}, {240, 220, 40}};
const char* kDirections[] = {"left", "right", "up", "down"};
const int kStep[][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
const char* kCounts[] = {"zero", "one", "two", "three"};

struct Mover {
  int shape, colour, direction, appears, size;
  double x, y;
  bool bounced = false;
  std::string name() const { return std::string(kColourNames[colour]) + " " + kShapeNames[shape]; }
};

// Draws every frame, moving (and bouncing) each shape; records whether it bounced.
std::vector<media::Image> render(std::vector<Mover>& movers, const SyntheticVideoOptions& o) {
  std::vector<media::Image> frames;
  const double speed = 3.0;
  for (int f = 0; f < o.frames; ++f) {
    media::Image frame{o.size, o.size, std::vector<uint8_t>(static_cast<std::size_t>(o.size) * o.size * 3, 20)};
    for (auto& m : movers) {
      if (f < m.appears) continue;
      media::draw_shape(frame, static_cast<media::Shape>(m.shape), static_cast<int>(m.x), static_cast<int>(m.y), m.size,
                        kColours[m.colour]);
      double nx = m.x + kStep[m.direction][0] * speed, ny = m.y + kStep[m.direction][1] * speed;
      const double lo = m.size, hi = o.size - 1 - m.size;
      if (nx < lo || nx > hi || ny < lo || ny > hi) {  // reflect off the edge
        m.direction ^= 1;  // left<->right, up<->down
        m.bounced = true;
        nx = std::clamp(2 * (nx < lo ? lo : nx > hi ? hi : nx) - nx, lo, hi);
        ny = std::clamp(2 * (ny < lo ? lo : ny > hi ? hi : ny) - ny, lo, hi);
      }
      m.x = nx;
      m.y = ny;
    }
    frames.push_back(std::move(frame));
  }
  return frames;
}

nlohmann::json record(const std::string& id, const std::string& video, const std::string& question, const std::string& answer) {
  return {{"id", id},
          {"video", video},
          {"conversations", {{{"from", "human"}, {"value", question}}, {{"from", "gpt"}, {"value", answer}}}}};
}

}  // namespace

SyntheticVideoSummary build_synthetic_video(const SyntheticVideoOptions& o) {
  if (o.out.empty()) fail("[synthetic-video] an output folder is required");
  if (o.clips <= 0 || o.frames < 4 || o.size < 32 || o.size % 2 || o.fps <= 0)
    fail("[synthetic-video] needs clips > 0, frames >= 4, an even size >= 32 and fps > 0");
  fs::create_directories(fs::path(o.out) / "videos");
  const int64_t test = std::max<int64_t>(o.clips / 5, o.clips > 1 ? 1 : 0);
  nlohmann::json captions[2] = {nlohmann::json::array(), nlohmann::json::array()};
  nlohmann::json questions[2] = {nlohmann::json::array(), nlohmann::json::array()};
  for (int64_t clip = 0; clip < o.clips; ++clip) {
    std::mt19937_64 rng(o.seed * 1000003u + static_cast<uint64_t>(clip));
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    std::vector<Mover> movers;
    std::array<int, 4> colours = {0, 1, 2, 3};
    std::shuffle(colours.begin(), colours.end(), rng);
    const int count = 1 + pick(3);
    for (int i = 0; i < count; ++i) {
      Mover m{pick(3), colours[i], pick(4), i == 0 ? 0 : 2 + pick(o.frames / 2), 5 + pick(3), 0, 0};
      m.x = m.size + pick(o.size - 2 * m.size);
      m.y = m.size + pick(o.size - 2 * m.size);
      movers.push_back(m);
    }
    std::sort(movers.begin(), movers.end(), [](const Mover& a, const Mover& b) { return a.appears < b.appears; });
    std::vector<int> first_direction;
    for (const auto& m : movers) first_direction.push_back(m.direction);
    char name[64];
    std::snprintf(name, sizeof(name), "videos/clip_%05ld.mp4", static_cast<long>(clip));
    media::encode_video_h264((fs::path(o.out) / name).string(), render(movers, o), o.fps);

    std::string caption;
    for (std::size_t i = 0; i < movers.size(); ++i) {
      caption += (i == 0 ? "a " : ", then a ") + movers[i].name() + (i == 0 ? " moves " : " appears and moves ") +
                 kDirections[first_direction[i]] + (movers[i].bounced ? " and bounces" : "");
    }
    const int split = clip >= o.clips - test ? 1 : 0;
    const std::string id = "clip-" + std::to_string(clip);
    captions[split].push_back(record(id, name, "<video>", caption));
    const auto& subject = movers[pick(static_cast<int>(movers.size()))];
    const auto subject_index = &subject - movers.data();
    switch (pick(movers.size() > 1 ? 4 : 3)) {
      case 0:
        questions[split].push_back(record(id, name, "<video>\nIn which direction does the " + subject.name() + " start moving?",
                                          kDirections[first_direction[subject_index]]));
        break;
      case 1:
        questions[split].push_back(record(id, name, "<video>\nHow many shapes appear in the video?", kCounts[movers.size()]));
        break;
      case 2:
        questions[split].push_back(record(id, name, "<video>\nDoes the " + subject.name() + " bounce off an edge?",
                                          subject.bounced ? "yes" : "no"));
        break;
      default:
        questions[split].push_back(record(id, name, "<video>\nWhich shape appears first?", "the " + movers[0].name()));
    }
  }
  const char* splits[] = {"train", "test"};
  for (int s = 0; s < 2; ++s) {
    write_file_atomically((fs::path(o.out) / (std::string("caption_") + splits[s] + ".json")).string(), captions[s].dump(1) + "\n");
    write_file_atomically((fs::path(o.out) / (std::string("qa_") + splits[s] + ".json")).string(), questions[s].dump(1) + "\n");
  }
  return {o.clips - test, test};
}

}  // namespace vltune::datasets
