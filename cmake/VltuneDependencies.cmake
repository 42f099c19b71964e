# Third-party dependencies. Debian 12 packages supply all of them (make deps installs them); the
# GPU machine supplies LibTorch 2.x through CMAKE_PREFIX_PATH (docs/gpu.md).

find_package(Torch REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)

# Torch as one interface target. Debian's libsentencepiece carries its own protobuf symbols; if it
# is loaded before LibTorch's libprotobuf the process crashes at start-up, so protobuf is linked
# first and kept even though nothing references it directly (DEVELOPERS.md, "protobuf trap").
add_library(vltune_torch INTERFACE)
find_library(VLTUNE_PROTOBUF_LIBRARY protobuf)
if(VLTUNE_PROTOBUF_LIBRARY)
  target_link_libraries(vltune_torch INTERFACE "-Wl,--no-as-needed" ${VLTUNE_PROTOBUF_LIBRARY} "-Wl,--as-needed")
endif()
target_link_libraries(vltune_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(vltune_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
target_compile_options(vltune_torch INTERFACE ${TORCH_CXX_FLAGS})
message(STATUS "vltune: LibTorch ${Torch_VERSION} from ${TORCH_INSTALL_PREFIX}")

# Media decoding (OpenCV for images, FFmpeg for video). Missing libraries switch it off with a
# message; the stubs in vision/media/ then throw a clear error at run time.
set(VLTUNE_MEDIA_ENABLED OFF)
if(VLTUNE_WITH_MEDIA)
  find_package(OpenCV QUIET COMPONENTS core imgcodecs imgproc)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(VLTUNE_FFMPEG QUIET IMPORTED_TARGET libavformat libavcodec libswscale libavutil)
  endif()
  if(OpenCV_FOUND AND VLTUNE_FFMPEG_FOUND)
    set(VLTUNE_MEDIA_ENABLED ON)
    message(STATUS "vltune: media decoding ON (OpenCV ${OpenCV_VERSION}, FFmpeg libavformat ${VLTUNE_FFMPEG_libavformat_VERSION})")
  else()
    message(WARNING "vltune: VLTUNE_WITH_MEDIA is ON but OpenCV (found: ${OpenCV_FOUND}) or FFmpeg "
                    "(found: ${VLTUNE_FFMPEG_FOUND}) is missing; building without media decoding. "
                    "Install libopencv-dev and libav{format,codec,util}-dev libswscale-dev, or pass -DVLTUNE_WITH_MEDIA=OFF.")
  endif()
else()
  message(STATUS "vltune: media decoding OFF (VLTUNE_WITH_MEDIA=OFF); image/video calls will throw")
endif()
