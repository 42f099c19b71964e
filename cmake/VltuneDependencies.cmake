# Third-party dependencies. Debian 12 packages supply all of them (make deps installs them); the
# GPU machine supplies LibTorch 2.x through CMAKE_PREFIX_PATH (docs/gpu.md).

find_package(Torch REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(yaml-cpp REQUIRED)
# yaml-cpp 0.8 (the GPU machine) names its target yaml-cpp::yaml-cpp; 0.7 (Debian 12) yaml-cpp.
if(TARGET yaml-cpp::yaml-cpp)
  set(VLTUNE_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(VLTUNE_YAML_TARGET yaml-cpp)
endif()

# Torch as one interface target, with two link-order fixes. The dynamic linker binds each symbol
# to the first library that defines it, in the order of the executable's DT_NEEDED entries, so:
# - libstdc++ goes first. PyTorch's pip wheels export their own copies of std::filesystem from
#   libtorch.so/libtorch_cpu.so; code built with the system compiler that binds to those crashes
#   (seen with LibTorch 2.11 and GCC 13).
# - On Debian, LibTorch links libprotobuf.so.32 while libsentencepiece.so.0 carries protobuf
#   symbols of its own; if sentencepiece's load first the process crashes at start-up, so
#   protobuf goes right after libstdc++ (DEVELOPERS.md, "link-order traps").
# --no-as-needed keeps both entries although nothing of ours references them directly.
add_library(vltune_torch INTERFACE)
set(VLTUNE_FIRST_LIBRARIES stdc++)
find_library(VLTUNE_TORCH_CPU_LIBRARY torch_cpu HINTS ${TORCH_INSTALL_PREFIX}/lib)
find_program(VLTUNE_READELF readelf)
if(VLTUNE_TORCH_CPU_LIBRARY AND VLTUNE_READELF)
  execute_process(COMMAND ${VLTUNE_READELF} -d ${VLTUNE_TORCH_CPU_LIBRARY} OUTPUT_VARIABLE VLTUNE_TORCH_NEEDED)
  if(VLTUNE_TORCH_NEEDED MATCHES "libprotobuf")
    list(APPEND VLTUNE_FIRST_LIBRARIES protobuf)
  endif()
endif()
target_link_libraries(vltune_torch INTERFACE "-Wl,--no-as-needed" ${VLTUNE_FIRST_LIBRARIES} "-Wl,--as-needed"
                      ${TORCH_LIBRARIES})
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
