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
const char* kCounts[] = {"one", "two", "three", "four"};
constexpr int kMaxTries = 10000;  // draws of one clip until it fits its answer (the rarest fits 1 in 12)

struct Mover {
  int shape, colour, direction, appears, size;
  double x, y;
  int start_direction = direction;
  bool bounced = false;
  int last_bounce = -1;  // the step (frame f to f + 1) of the last bounce
  std::string name() const { return std::string(kColourNames[colour]) + " " + kShapeNames[shape]; }
};

// One step of 3 pixels in the mover's direction, reflected off the canvas' edge.
void advance(Mover& m, int size, int step) {
  const double speed = 3.0;
  double nx = m.x + kStep[m.direction][0] * speed, ny = m.y + kStep[m.direction][1] * speed;
  const double lo = m.size, hi = size - 1 - m.size;
  if (nx < lo || nx > hi || ny < lo || ny > hi) {
    m.direction ^= 1;  // left<->right, up<->down
    m.bounced = true;
    m.last_bounce = step;
    nx = std::clamp(2 * (nx < lo ? lo : nx > hi ? hi : nx) - nx, lo, hi);
    ny = std::clamp(2 * (ny < lo ? lo : ny > hi ? hi : ny) - ny, lo, hi);
  }
  m.x = nx;
  m.y = ny;
}

// Plays the clip: each frame shows the shapes that have appeared, then moves them. Draws the
// frames into `frames` when given; either way the movers end as the last frame shows them.
void play(std::vector<Mover>& movers, const SyntheticVideoOptions& o, std::vector<media::Image>* frames) {
  for (int f = 0; f < o.frames; ++f) {
    if (frames) {
      media::Image frame{o.size, o.size, std::vector<uint8_t>(static_cast<std::size_t>(o.size) * o.size * 3, 20)};
      for (const auto& m : movers)
        if (f >= m.appears)
          media::draw_shape(frame, static_cast<media::Shape>(m.shape), static_cast<int>(m.x), static_cast<int>(m.y), m.size,
                            kColours[m.colour]);
      frames->push_back(std::move(frame));
    }
    if (f + 1 < o.frames)
      for (auto& m : movers)
        if (f >= m.appears) advance(m, o.size, f);
  }
}

// One to four shapes of distinct colours, in the order they appear.
std::vector<Mover> draw_movers(std::mt19937_64& rng, const SyntheticVideoOptions& o) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  std::array<int, 4> colours = {0, 1, 2, 3};
  std::shuffle(colours.begin(), colours.end(), rng);
  std::vector<Mover> movers;
  const int count = 1 + pick(4);
  for (int i = 0; i < count; ++i) {
    Mover m{pick(3), colours[i], pick(4), i == 0 ? 0 : 2 + pick(o.frames / 2), 5 + pick(3), 0, 0};
    m.start_direction = m.direction;
    m.x = m.size + pick(o.size - 2 * m.size);
    m.y = m.size + pick(o.size - 2 * m.size);
    movers.push_back(m);
  }
  std::stable_sort(movers.begin(), movers.end(), [](const Mover& a, const Mover& b) { return a.appears < b.appears; });
  return movers;
}

// The question types, in turn over the clips: each answer's index among the type's answers for a
// played clip and its subject (-1 where the clip cannot answer it unambiguously), and its words.
struct QuestionType {
  int answers;
  int (*answer)(const std::vector<Mover>& played, const Mover& subject, const SyntheticVideoOptions& o);
  std::string (*question)(const Mover& subject);
  std::string (*words)(int answer);
};

const QuestionType kQuestionTypes[] = {
    {4, [](const std::vector<Mover>&, const Mover& s, const SyntheticVideoOptions&) { return s.start_direction; },
     [](const Mover& s) { return "In which direction does the " + s.name() + " start moving?"; },
     [](int a) { return std::string(kDirections[a]); }},
    {4, [](const std::vector<Mover>& played, const Mover&, const SyntheticVideoOptions&) { return static_cast<int>(played.size()) - 1; },
     [](const Mover&) { return std::string("How many shapes appear in the video?"); },
     [](int a) { return std::string(kCounts[a]); }},
    // A bounce on the clip's last step leaves the last frames' motion ambiguous: not asked.
    {4, [](const std::vector<Mover>&, const Mover& s, const SyntheticVideoOptions& o) { return s.last_bounce == o.frames - 2 ? -1 : s.direction; },
     [](const Mover& s) { return "In which direction is the " + s.name() + " moving at the end?"; },
     [](int a) { return std::string(kDirections[a]); }},
    {12, [](const std::vector<Mover>& played, const Mover&, const SyntheticVideoOptions&) { return played[0].colour * 3 + played[0].shape; },
     [](const Mover&) { return std::string("Which shape appears first?"); },
     [](int a) { return std::string("the ") + kColourNames[a / 3] + " " + kShapeNames[a % 3]; }},
};

struct Clip {
  std::vector<Mover> movers;  // as drawn, before playing
  std::string question, answer;
};

// Clip `index`: drawn from its generator until its question (type index mod 4) has the answer
// whose turn it is.
Clip draw_clip(const SyntheticVideoOptions& o, int64_t index) {
  std::mt19937_64 rng(synthetic_clip_seed(o.range, o.seed, index));
  const auto& type = kQuestionTypes[index % 4];
  const int wanted = static_cast<int>((index / 4) % type.answers);
  for (int attempt = 0; attempt < kMaxTries; ++attempt) {
    auto movers = draw_movers(rng, o);
    const auto subject = static_cast<std::size_t>(rng() % movers.size());
    auto played = movers;
    play(played, o, nullptr);
    if (type.answer(played, played[subject], o) == wanted)
      return {std::move(movers), type.question(played[subject]), type.words(wanted)};
  }
  fail("[synthetic-video] clip ", index, ": no draw of ", kMaxTries, " fits the answer '", type.words(wanted), "'");
}

std::string describe(const std::vector<Mover>& played) {
  std::string caption;
  for (std::size_t i = 0; i < played.size(); ++i)
    caption += (i == 0 ? "a " : ", then a ") + played[i].name() + (i == 0 ? " moves " : " appears and moves ") +
               kDirections[played[i].start_direction] + (played[i].bounced ? " and bounces" : "");
  return caption;
}

nlohmann::json record(const std::string& id, const std::string& video, const std::string& question, const std::string& answer) {
  return {{"id", id},
          {"video", video},
          {"conversations", {{{"from", "human"}, {"value", question}}, {{"from", "gpt"}, {"value", answer}}}}};
}

}  // namespace

uint64_t synthetic_clip_seed(ClipRange range, uint64_t seed, int64_t clip) {
  if (seed >= (uint64_t{1} << 31)) fail("[synthetic-video] the seed must be below 2^31 (got ", seed, ")");
  if (clip < 0 || clip >= (int64_t{1} << 32)) fail("[synthetic-video] at most 2^32 clips");
  return static_cast<uint64_t>(range) << 63 | seed << 32 | static_cast<uint64_t>(clip);
}

SyntheticVideoSummary build_synthetic_video(const SyntheticVideoOptions& o) {
  if (o.out.empty()) fail("[synthetic-video] an output folder is required");
  if (o.clips <= 0 || o.frames < 4 || o.size < 32 || o.size % 2 || o.fps <= 0)
    fail("[synthetic-video] needs clips > 0, frames >= 4, an even size >= 32 and fps > 0");
  synthetic_clip_seed(o.range, o.seed, o.clips - 1);  // checks the seed and the count before any work
  fs::create_directories(fs::path(o.out) / "videos");
  const int64_t test = std::max<int64_t>(o.clips / 5, o.clips > 1 ? 1 : 0);
  nlohmann::json captions[2] = {nlohmann::json::array(), nlohmann::json::array()};
  nlohmann::json questions[2] = {nlohmann::json::array(), nlohmann::json::array()};
  for (int64_t index = 0; index < o.clips; ++index) {
    auto clip = draw_clip(o, index);
    std::vector<media::Image> frames;
    play(clip.movers, o, &frames);
    char name[64];
    std::snprintf(name, sizeof(name), "videos/clip_%05ld.mp4", static_cast<long>(index));
    media::encode_video_h264((fs::path(o.out) / name).string(), frames, o.fps);
    const int split = index >= o.clips - test ? 1 : 0;
    const std::string id = "clip-" + std::to_string(index);
    captions[split].push_back(record(id, name, "<video>", describe(clip.movers)));
    questions[split].push_back(record(id, name, "<video>\n" + clip.question, clip.answer));
  }
  const char* splits[] = {"train", "test"};
  for (int s = 0; s < 2; ++s) {
    write_file_atomically((fs::path(o.out) / (std::string("caption_") + splits[s] + ".json")).string(), captions[s].dump(1) + "\n");
    write_file_atomically((fs::path(o.out) / (std::string("qa_") + splits[s] + ".json")).string(), questions[s].dump(1) + "\n");
  }
  return {o.clips - test, test};
}

}  // namespace vltune::datasets
