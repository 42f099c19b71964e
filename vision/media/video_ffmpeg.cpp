extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include <memory>

#include "core/error.h"
#include "vision/media/media.h"

namespace vltune::media {

namespace {
std::string av_error_text(int code) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buffer, sizeof(buffer));
  return buffer;
}
struct FormatCloser {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
}  // namespace

VideoInfo probe_video(const std::string& path) {
  AVFormatContext* raw = nullptr;
  if (int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr); rc < 0)
    fail("[video] ", path, ": FFmpeg cannot open it: ", av_error_text(rc));
  std::unique_ptr<AVFormatContext, FormatCloser> ctx(raw);
  if (int rc = avformat_find_stream_info(ctx.get(), nullptr); rc < 0)
    fail("[video] ", path, ": FFmpeg cannot read its streams: ", av_error_text(rc));
  const int index = av_find_best_stream(ctx.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) fail("[video] ", path, ": contains no video stream");
  const AVStream* stream = ctx->streams[index];
  VideoInfo info;
  info.codec = avcodec_get_name(stream->codecpar->codec_id);
  info.width = stream->codecpar->width;
  info.height = stream->codecpar->height;
  info.frames_per_second = stream->avg_frame_rate.den ? av_q2d(stream->avg_frame_rate) : 0.0;
  info.frame_count = stream->nb_frames;
  if (stream->duration != AV_NOPTS_VALUE) info.duration_seconds = stream->duration * av_q2d(stream->time_base);
  else if (ctx->duration != AV_NOPTS_VALUE) info.duration_seconds = static_cast<double>(ctx->duration) / AV_TIME_BASE;
  return info;
}

}  // namespace vltune::media
