// Video through FFmpeg: probing, decoding sampled frames by presentation time (seeking where it
// pays, rotation metadata applied, guarded by a time budget), folders of frame images treated as
// videos, and H.264/MP4 encoding. Every FFmpeg object is owned by a unique_ptr.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <optional>
#include <utility>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_read.h"
#include "vision/media/media.h"

namespace vltune::media {

namespace {

// FFmpeg's own chatter (libx264's statistics, decoder warnings) is noise on a training run's
// console: vltune reports problems through its errors. VLTUNE_FFMPEG_LOG=1 keeps FFmpeg's default.
void quiet_ffmpeg() {
  static const bool once = [] {
    if (!std::getenv("VLTUNE_FFMPEG_LOG")) av_log_set_level(AV_LOG_ERROR);
    return true;
  }();
  (void)once;
}

std::string av_error_text(int code) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buffer, sizeof(buffer));
  return buffer;
}

// unique_ptr deleters for FFmpeg's two conventions: free(&pointer) and free(pointer).
template <class T, void (*Free)(T**)>
struct FreeByAddress {
  void operator()(T* pointer) const { Free(&pointer); }
};
template <class T, void (*Free)(T*)>
struct FreeByValue {
  void operator()(T* pointer) const { Free(pointer); }
};
void free_custom_io(AVIOContext* io) {
  av_freep(&io->buffer);  // the context may have replaced the buffer it was given
  avio_context_free(&io);
}
using InputPtr = std::unique_ptr<AVFormatContext, FreeByAddress<AVFormatContext, avformat_close_input>>;
using OutputPtr = std::unique_ptr<AVFormatContext, FreeByValue<AVFormatContext, avformat_free_context>>;
using CustomIoPtr = std::unique_ptr<AVIOContext, FreeByValue<AVIOContext, free_custom_io>>;
using CodecPtr = std::unique_ptr<AVCodecContext, FreeByAddress<AVCodecContext, avcodec_free_context>>;
using FramePtr = std::unique_ptr<AVFrame, FreeByAddress<AVFrame, av_frame_free>>;
using PacketPtr = std::unique_ptr<AVPacket, FreeByAddress<AVPacket, av_packet_free>>;
using ScalerPtr = std::unique_ptr<SwsContext, FreeByValue<SwsContext, sws_freeContext>>;

// FFmpeg's allocators return null only when memory is exhausted.
template <class T>
T* checked(T* allocated) {
  if (!allocated) throw std::bad_alloc();
  return allocated;
}

constexpr double kTimeEpsilon = 1e-6;  // seconds; absorbs rounding of time-base conversions
constexpr double kSeekGap = 2.0;       // seconds ahead of the decoder beyond which seeking beats decoding

// The time budget of one file; FFmpeg polls `interrupt` during blocking calls and gives up once it
// returns 1, and the decode loop checks it between packets.
class Deadline {
 public:
  explicit Deadline(double seconds)
      : seconds_(seconds),
        end_(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(std::clamp(seconds, 0.0, 1e9)))) {}
  bool expired() const { return Clock::now() >= end_; }
  double seconds() const { return seconds_; }
  static int interrupt(void* self) { return static_cast<const Deadline*>(self)->expired() ? 1 : 0; }

 private:
  using Clock = std::chrono::steady_clock;
  double seconds_;
  Clock::time_point end_;
};

// Checks the size of upright frames, after `quarter_turns` clockwise turns, against the limits.
void check_size(const std::string& path, int width, int height, const MediaLimits& limits, int quarter_turns = 0) {
  if (quarter_turns % 2) std::swap(width, height);
  if (width > limits.max_width || height > limits.max_height)
    fail("[video] ", path, ": ", width, "x", height, " frames exceed the limit of ", limits.max_width, "x",
         limits.max_height);
}

// The times to sample, in seconds from the start: `num_frames` at the middles of equal segments of
// the clip, or one every 1/fps seconds from 0 (at most max_frames, within the duration if known).
// decode_video has checked the sampling (frames_per_clip).
std::vector<double> sample_times(const std::string& path, const FrameSampling& sampling, double duration) {
  std::vector<double> times;
  if (!std::isfinite(duration)) duration = 0;  // a container's absurd duration counts as unknown
  if (sampling.num_frames > 0) {
    if (duration <= 0)
      fail("[video] ", path, ": its duration is unknown, so ", sampling.num_frames,
           " frames cannot be spread over it; sample by fps instead");
    for (int64_t k = 0; k < sampling.num_frames; ++k) times.push_back(duration * (k + 0.5) / sampling.num_frames);
  } else {
    for (int64_t i = 0; i < sampling.max_frames; ++i) {
      const double time = i / sampling.fps;
      if (duration > 0 && time >= duration - kTimeEpsilon) break;
      times.push_back(time);
    }
  }
  return times;
}

// Copies packed RGB rows into an Image turned `quarter_turns` x 90 degrees clockwise.
Image upright_image(const uint8_t* rgb, int line_size, int width, int height, int quarter_turns) {
  Image image;
  image.width = quarter_turns % 2 ? height : width;
  image.height = quarter_turns % 2 ? width : height;
  image.rgb.resize(static_cast<std::size_t>(width) * height * 3);
  uint8_t* out = image.rgb.data();
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x, out += 3) {
      int source_x = x, source_y = y;
      switch (quarter_turns) {
        case 1: source_x = y, source_y = height - 1 - x; break;
        case 2: source_x = width - 1 - x, source_y = height - 1 - y; break;
        case 3: source_x = width - 1 - y, source_y = x; break;
        default: break;
      }
      std::memcpy(out, rgb + static_cast<std::ptrdiff_t>(source_y) * line_size + source_x * 3, 3);
    }
  }
  return image;
}

// An opened video file: its container, best video stream and time budget.
class VideoInput {
 public:
  VideoInput(std::string path, double timeout_seconds) : path_(std::move(path)), deadline_(timeout_seconds) {
    quiet_ffmpeg();
    AVFormatContext* raw = checked(avformat_alloc_context());
    raw->interrupt_callback = {&Deadline::interrupt, &deadline_};
    if (int rc = avformat_open_input(&raw, path_.c_str(), nullptr, nullptr); rc < 0)  // frees raw
      fail_with("FFmpeg cannot open it", rc);
    format_.reset(raw);
    if (int rc = avformat_find_stream_info(format_.get(), nullptr); rc < 0)
      fail_with("FFmpeg cannot read its streams", rc);
    const int index = av_find_best_stream(format_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (index < 0) fail("[video] ", path_, ": contains no video stream");
    stream_ = format_->streams[index];
  }
  VideoInput(const VideoInput&) = delete;  // FFmpeg holds a pointer to deadline_
  VideoInput& operator=(const VideoInput&) = delete;

  AVFormatContext* format() const { return format_.get(); }
  const AVStream& stream() const { return *stream_; }
  const Deadline& deadline() const { return deadline_; }

  [[noreturn]] void fail_with(const std::string& what, int code) const {
    if (deadline_.expired()) fail("[video] ", path_, ": timed out after ", deadline_.seconds(), " s");
    fail("[video] ", path_, ": ", what, ": ", av_error_text(code));
  }

  VideoInfo info() const {
    VideoInfo info;
    info.codec = avcodec_get_name(stream_->codecpar->codec_id);
    info.width = stream_->codecpar->width;
    info.height = stream_->codecpar->height;
    info.frames_per_second = stream_->avg_frame_rate.den ? av_q2d(stream_->avg_frame_rate) : 0.0;
    info.frame_count = stream_->nb_frames;
    if (stream_->duration != AV_NOPTS_VALUE) info.duration_seconds = stream_->duration * av_q2d(stream_->time_base);
    else if (format_->duration != AV_NOPTS_VALUE) info.duration_seconds = static_cast<double>(format_->duration) / AV_TIME_BASE;
    return info;
  }

  // Clockwise quarter turns that make the frames upright, following the ffmpeg CLI's autorotate:
  // the display matrix states a counter-clockwise angle, so -90 means one clockwise turn.
  int quarter_turns() const {
    const auto* matrix =
        reinterpret_cast<const int32_t*>(av_stream_get_side_data(stream_, AV_PKT_DATA_DISPLAYMATRIX, nullptr));
    if (!matrix) return 0;
    const double counter_clockwise = av_display_rotation_get(matrix);
    if (std::isnan(counter_clockwise)) return 0;
    const long turns = std::lround(-counter_clockwise / 90.0);
    return static_cast<int>(((turns % 4) + 4) % 4);
  }

  CodecPtr open_decoder() const {
    const AVCodec* codec = avcodec_find_decoder(stream_->codecpar->codec_id);
    if (!codec) fail("[video] ", path_, ": this FFmpeg has no decoder for ", avcodec_get_name(stream_->codecpar->codec_id));
    CodecPtr decoder(checked(avcodec_alloc_context3(codec)));
    if (int rc = avcodec_parameters_to_context(decoder.get(), stream_->codecpar); rc < 0)
      fail_with("cannot set up its decoder", rc);
    decoder->pkt_timebase = stream_->time_base;
    if (int rc = avcodec_open2(decoder.get(), codec, nullptr); rc < 0) fail_with("cannot open its decoder", rc);
    return decoder;
  }

  // Presentation time in seconds from the stream's start, or nullopt when the frame has none.
  std::optional<double> seconds(const AVFrame& frame) const {
    const int64_t pts = frame.best_effort_timestamp != AV_NOPTS_VALUE ? frame.best_effort_timestamp : frame.pts;
    if (pts == AV_NOPTS_VALUE) return std::nullopt;
    const int64_t start = stream_->start_time != AV_NOPTS_VALUE ? stream_->start_time : 0;
    return (pts - start) * av_q2d(stream_->time_base);
  }

  // Positions the demuxer on the last key frame at or before `time` (seconds from the start).
  bool seek(double time) const {
    if (!format_->pb || !(format_->pb->seekable & AVIO_SEEKABLE_NORMAL)) return false;
    const int64_t start = stream_->start_time != AV_NOPTS_VALUE ? stream_->start_time : 0;
    const int64_t target = start + std::llround(time / av_q2d(stream_->time_base));
    return av_seek_frame(format_.get(), stream_->index, target, AVSEEK_FLAG_BACKWARD) >= 0;
  }

 private:
  std::string path_;
  Deadline deadline_;
  InputPtr format_;
  AVStream* stream_ = nullptr;
};

// Decoded frames to upright RGB, through a cached swscale context and an aligned RGB frame.
class RgbConverter {
 public:
  RgbConverter(std::string path, int quarter_turns, MediaLimits limits)
      : path_(std::move(path)), quarter_turns_(quarter_turns), limits_(limits) {}

  Image operator()(const AVFrame& frame) {
    const auto format = static_cast<AVPixelFormat>(frame.format);
    check_size(path_, frame.width, frame.height, limits_, quarter_turns_);
    scaler_.reset(sws_getCachedContext(scaler_.release(), frame.width, frame.height, format, frame.width, frame.height,
                                       AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr));
    if (!scaler_) {
      const char* name = av_get_pix_fmt_name(format);
      fail("[video] ", path_, ": cannot convert ", name ? name : "unknown", " frames to RGB");
    }
    sws_setColorspaceDetails(scaler_.get(), sws_getCoefficients(frame.colorspace), frame.color_range == AVCOL_RANGE_JPEG,
                             sws_getCoefficients(SWS_CS_DEFAULT), 1, 0, 1 << 16, 1 << 16);
    if (rgb_->width != frame.width || rgb_->height != frame.height) {
      av_frame_unref(rgb_.get());
      rgb_->format = AV_PIX_FMT_RGB24;
      rgb_->width = frame.width;
      rgb_->height = frame.height;
      if (int rc = av_frame_get_buffer(rgb_.get(), 0); rc < 0) fail("[video] ", path_, ": ", av_error_text(rc));
    }
    sws_scale(scaler_.get(), frame.data, frame.linesize, 0, frame.height, rgb_->data, rgb_->linesize);
    return upright_image(rgb_->data[0], rgb_->linesize[0], frame.width, frame.height, quarter_turns_);
  }

 private:
  std::string path_;
  int quarter_turns_;
  MediaLimits limits_;
  ScalerPtr scaler_;
  FramePtr rgb_{checked(av_frame_alloc())};
};

// Picks for each target time the frame on screen at that time: the last frame presented at or
// before it (the first frame for targets before it). Frames arrive in presentation order; only the
// picked ones are converted to RGB.
class FramePicker {
 public:
  FramePicker(std::vector<double> targets, RgbConverter convert)
      : targets_(std::move(targets)), convert_(std::move(convert)) {}

  bool done() const { return next_ == targets_.size(); }
  std::size_t next_index() const { return next_; }
  double next_target() const { return targets_[next_]; }

  // Takes the frame's reference.
  void offer(AVFrame* frame, double time) {
    const bool first = !has_previous_;
    if (first) adopt(frame, time);
    while (!done() && targets_[next_] < time - kTimeEpsilon) pick_previous();
    if (!first) adopt(frame, time);
  }
  // After a seek the held frame no longer precedes the frames to come.
  void forget_previous() { has_previous_ = false; }
  // The stream ended: the last frame stays on screen until `end`.
  void finish(double end) {
    while (has_previous_ && !done() && targets_[next_] < end) pick_previous();
  }
  DecodedVideo& result() { return result_; }

 private:
  void adopt(AVFrame* frame, double time) {
    av_frame_unref(previous_.get());
    av_frame_move_ref(previous_.get(), frame);
    previous_time_ = time;
    previous_rgb_.reset();
    has_previous_ = true;
  }
  void pick_previous() {
    if (!previous_rgb_) previous_rgb_ = convert_(*previous_);
    result_.frames.push_back(*previous_rgb_);
    result_.timestamps.push_back(previous_time_);
    ++next_;
  }

  std::vector<double> targets_;
  std::size_t next_ = 0;
  RgbConverter convert_;
  FramePtr previous_{checked(av_frame_alloc())};
  bool has_previous_ = false;
  double previous_time_ = 0;
  std::optional<Image> previous_rgb_;
  DecodedVideo result_;
};

DecodedVideo decode_video_file(const std::string& path, const FrameSampling& sampling, const MediaLimits& limits) {
  require_regular_file(path, "[video]");  // FFmpeg would block forever opening a FIFO
  const VideoInput input(path, limits.timeout_seconds);
  const VideoInfo info = input.info();
  const int quarter_turns = input.quarter_turns();
  check_size(path, info.width, info.height, limits, quarter_turns);
  FramePicker picker(sample_times(path, sampling, info.duration_seconds), RgbConverter(path, quarter_turns, limits));
  const CodecPtr decoder = input.open_decoder();
  const PacketPtr packet(checked(av_packet_alloc()));
  const FramePtr frame(checked(av_frame_alloc()));
  const double frame_interval = info.frames_per_second > 0 ? 1.0 / info.frames_per_second : 0.04;
  double position = 0;  // presentation time of the last decoded frame
  std::optional<std::size_t> seeked_for;

  // Hands every frame the decoder has ready to the picker; returns FFmpeg's error, or 0.
  auto receive_frames = [&]() {
    while (!picker.done()) {
      const int rc = avcodec_receive_frame(decoder.get(), frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return 0;
      if (rc < 0) return rc;
      position = input.seconds(*frame).value_or(position + frame_interval);
      picker.offer(frame.get(), position);
    }
    return 0;
  };

  int error = 0;
  while (!picker.done() && !error) {
    if (input.deadline().expired()) input.fail_with("decoding", AVERROR_EXIT);
    if (seeked_for != picker.next_index() && picker.next_target() - position > kSeekGap) {
      seeked_for = picker.next_index();  // one attempt per target: the key frame may lie further back
      if (input.seek(picker.next_target())) {
        avcodec_flush_buffers(decoder.get());
        picker.forget_previous();
      }
    }
    const int read = av_read_frame(input.format(), packet.get());
    if (read == AVERROR_EOF) {
      error = avcodec_send_packet(decoder.get(), nullptr);  // drain the decoder
      if (!error) error = receive_frames();
      if (!error) picker.finish(std::max(info.duration_seconds, position + kTimeEpsilon));
      break;
    }
    if (read < 0) {
      error = read;
    } else if (packet->stream_index == input.stream().index) {
      error = avcodec_send_packet(decoder.get(), packet.get());
      if (!error) error = receive_frames();
    }
    av_packet_unref(packet.get());
  }
  if (error && input.deadline().expired()) input.fail_with("decoding", error);
  DecodedVideo& decoded = picker.result();
  if (decoded.frames.empty())
    fail("[video] ", path, ": contains no decodable frames", error ? cat(" (", av_error_text(error), ")") : "");
  decoded.info = info;
  return decoded;
}

bool is_frame_image(const std::filesystem::path& file) {
  std::string extension = file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg" || extension == ".webp" || extension == ".bmp";
}

// A folder of frame images, sorted by name: frame i is shown from i / rate to (i + 1) / rate.
DecodedVideo decode_frame_folder(const std::string& path, const FrameSampling& sampling, const MediaLimits& limits) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(path))
    if (entry.is_regular_file() && is_frame_image(entry.path())) files.push_back(entry.path());
  if (files.empty()) fail("[video] ", path, ": folder holds no frame images (.png, .jpg, .jpeg, .webp, .bmp)");
  std::sort(files.begin(), files.end());
  const double rate = sampling.fps > 0 ? sampling.fps : 1.0;
  DecodedVideo decoded;
  decoded.info.codec = "images";
  decoded.info.frames_per_second = rate;
  decoded.info.frame_count = static_cast<int64_t>(files.size());
  decoded.info.duration_seconds = files.size() / rate;
  std::optional<std::size_t> last_index;
  for (const double time : sample_times(path, sampling, decoded.info.duration_seconds)) {
    const auto index = std::min(files.size() - 1, static_cast<std::size_t>(std::floor(time * rate + kTimeEpsilon)));
    if (index != last_index) {
      Image image = decode_image(files[index].string(), limits);
      if (!decoded.frames.empty() && (image.width != decoded.info.width || image.height != decoded.info.height))
        fail("[video] ", files[index].string(), ": frame is ", image.width, "x", image.height, " but the folder's first is ",
             decoded.info.width, "x", decoded.info.height);
      decoded.info.width = image.width;
      decoded.info.height = image.height;
      decoded.frames.push_back(std::move(image));
    } else {
      decoded.frames.push_back(decoded.frames.back());
    }
    decoded.timestamps.push_back(index / rate);
    last_index = index;
  }
  return decoded;
}

// A seekable file in memory for the MP4 muxer, which goes back to patch sizes and the index.
struct MemoryFile {
  std::string bytes;
  int64_t position = 0;

  static int write(void* opaque, uint8_t* data, int size) {
    auto& file = *static_cast<MemoryFile*>(opaque);
    const auto end = static_cast<std::size_t>(file.position) + size;
    if (end > file.bytes.size()) file.bytes.resize(end);
    std::memcpy(file.bytes.data() + file.position, data, size);
    file.position = static_cast<int64_t>(end);
    return size;
  }
  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto& file = *static_cast<MemoryFile*>(opaque);
    const auto size = static_cast<int64_t>(file.bytes.size());
    int64_t position = 0;
    switch (whence & ~AVSEEK_FORCE) {
      case AVSEEK_SIZE: return size;
      case SEEK_SET: position = offset; break;
      case SEEK_CUR: position = file.position + offset; break;
      case SEEK_END: position = size + offset; break;
      default: return AVERROR(EINVAL);
    }
    if (position < 0) return AVERROR(EINVAL);
    return file.position = position;
  }
};

CustomIoPtr memory_io(MemoryFile& file) {
  constexpr int kBufferSize = 1 << 16;
  auto* buffer = checked(static_cast<unsigned char*>(av_malloc(kBufferSize)));
  AVIOContext* io = avio_alloc_context(buffer, kBufferSize, 1, &file, nullptr, &MemoryFile::write, &MemoryFile::seek);
  if (!io) av_free(buffer);
  return CustomIoPtr(checked(io));
}

void check_encodable(const std::string& path, const std::vector<Image>& frames, int fps) {
  if (frames.empty()) fail("[video] ", path, ": no frames to encode");
  if (fps <= 0) fail("[video] ", path, ": fps must be positive, got ", fps);
  const int width = frames[0].width, height = frames[0].height;
  if (width <= 0 || height <= 0 || width % 2 || height % 2)
    fail("[video] ", path, ": H.264 in yuv420p needs a positive, even width and height; got ", width, "x", height);
  for (std::size_t i = 0; i < frames.size(); ++i)
    if (frames[i].width != width || frames[i].height != height ||
        frames[i].rgb.size() != static_cast<std::size_t>(width) * height * 3)
      fail("[video] ", path, ": frame ", i, " is ", frames[i].width, "x", frames[i].height, " with ", frames[i].rgb.size(),
           " bytes; expected ", width, "x", height, " like frame 0, with width*height*3 bytes");
}

}  // namespace

VideoInfo probe_video(const std::string& path) {
  require_regular_file(path, "[video]");
  return VideoInput(path, MediaLimits{}.timeout_seconds).info();
}

DecodedVideo decode_video(const std::string& path, const FrameSampling& sampling, const MediaLimits& limits) {
  frames_per_clip(sampling, "[video] " + path);  // before anything is opened or allocated
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) return decode_frame_folder(path, sampling, limits);
  return decode_video_file(path, sampling, limits);
}

void encode_video_h264(const std::string& path, const std::vector<Image>& frames, int fps) {
  quiet_ffmpeg();
  check_encodable(path, frames, fps);
  const int width = frames[0].width, height = frames[0].height;
  auto check = [&](int rc, const char* what) {
    if (rc < 0) fail("[video] ", path, ": ", what, ": ", av_error_text(rc));
  };
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
  if (!codec) fail("[video] ", path, ": this FFmpeg has no H.264 encoder (libx264)");

  MemoryFile file;
  const CustomIoPtr io = memory_io(file);
  AVFormatContext* raw = nullptr;
  check(avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr), "cannot set up the MP4 muxer");
  const OutputPtr muxer(raw);  // declared after io: freed first, it never closes a custom io
  muxer->pb = io.get();
  muxer->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVStream* stream = checked(avformat_new_stream(muxer.get(), nullptr));

  const CodecPtr encoder(checked(avcodec_alloc_context3(codec)));
  encoder->width = width;
  encoder->height = height;
  encoder->pix_fmt = AV_PIX_FMT_YUV420P;
  encoder->time_base = AVRational{1, fps};
  encoder->framerate = AVRational{fps, 1};
  encoder->color_range = AVCOL_RANGE_MPEG;       // what swscale's default RGB -> YUV produces
  encoder->colorspace = AVCOL_SPC_SMPTE170M;
  if (muxer->oformat->flags & AVFMT_GLOBALHEADER) encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  check(avcodec_open2(encoder.get(), codec, nullptr), "cannot open the H.264 encoder");
  check(avcodec_parameters_from_context(stream->codecpar, encoder.get()), "cannot describe the stream");
  stream->time_base = encoder->time_base;
  check(avformat_write_header(muxer.get(), nullptr), "cannot write the MP4 header");

  // swscale reads past the end of rows with SIMD, so the RGB input goes through a padded frame too.
  const FramePtr rgb(checked(av_frame_alloc())), yuv(checked(av_frame_alloc()));
  for (auto [frame, format] : {std::pair{rgb.get(), AV_PIX_FMT_RGB24}, std::pair{yuv.get(), AV_PIX_FMT_YUV420P}}) {
    frame->format = format;
    frame->width = width;
    frame->height = height;
    check(av_frame_get_buffer(frame, 0), "cannot allocate a frame");
  }
  const ScalerPtr scaler(checked(sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P,
                                                SWS_BILINEAR, nullptr, nullptr, nullptr)));
  const PacketPtr packet(checked(av_packet_alloc()));
  auto write_packets = [&] {
    int rc;
    while ((rc = avcodec_receive_packet(encoder.get(), packet.get())) >= 0) {
      packet->duration = 1;  // one frame at 1/fps, so the last frame counts in the stream's duration
      av_packet_rescale_ts(packet.get(), encoder->time_base, stream->time_base);
      packet->stream_index = stream->index;
      check(av_interleaved_write_frame(muxer.get(), packet.get()), "cannot write a packet");
    }
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) check(rc, "the encoder failed");
  };
  for (std::size_t i = 0; i < frames.size(); ++i) {
    check(av_frame_make_writable(yuv.get()), "cannot write a frame");
    for (int row = 0; row < height; ++row)
      std::memcpy(rgb->data[0] + static_cast<std::ptrdiff_t>(row) * rgb->linesize[0],
                  frames[i].rgb.data() + static_cast<std::size_t>(row) * width * 3, static_cast<std::size_t>(width) * 3);
    sws_scale(scaler.get(), rgb->data, rgb->linesize, 0, height, yuv->data, yuv->linesize);
    yuv->pts = static_cast<int64_t>(i);
    check(avcodec_send_frame(encoder.get(), yuv.get()), "the encoder refused a frame");
    write_packets();
  }
  check(avcodec_send_frame(encoder.get(), nullptr), "cannot flush the encoder");
  write_packets();
  check(av_write_trailer(muxer.get()), "cannot finish the MP4");
  write_file_atomically(path, file.bytes);
}

}  // namespace vltune::media
