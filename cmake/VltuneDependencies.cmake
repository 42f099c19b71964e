# Third-party dependencies. Debian 12 packages supply all of them (make deps installs them); the
# GPU machine supplies LibTorch 2.x through CMAKE_PREFIX_PATH (docs/gpu.md).

find_package(Torch REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(yaml-cpp REQUIRED)
# yaml-cpp 0.8 (the GPU machine) names its target yaml-cpp::yaml-cpp; 0.7 (Debian 12) yaml-cpp.
if(TARGET yaml-cpp::yaml-cpp)
  set(VLTUNE_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(VLTUNE_YAML_TARGET yaml-cpp)
endif()

find_package(ZLIB)  # the gzip'ed IDX files of Fashion-MNIST; without it that builder throws
if(NOT ZLIB_FOUND)
  message(WARNING "vltune: zlib not found; `vltune data fashion-mnist` will report that it is unavailable")
endif()

# Torch as one interface target. libstdc++ is linked first: the dynamic linker binds each symbol
# to the first library in the executable's DT_NEEDED list that defines it, and PyTorch's pip
# wheels export their own copies of std::filesystem from libtorch.so/libtorch_cpu.so; code built
# with the system compiler that binds to those crashes (seen with LibTorch 2.11 and GCC 13).
# --no-as-needed keeps the entry although nothing references libstdc++ through it alone.
# (SentencePiece, whose protobuf clashes with LibTorch's, runs in a process of its own:
# language/sentencepiece_protocol.h.)
add_library(vltune_torch INTERFACE)
target_link_libraries(vltune_torch INTERFACE "-Wl,--no-as-needed" stdc++ "-Wl,--as-needed" ${TORCH_LIBRARIES})
target_include_directories(vltune_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})

# SentencePiece ships no CMake config; only the vltune-sentencepiece program links it.
find_path(VLTUNE_SENTENCEPIECE_INCLUDE sentencepiece_processor.h REQUIRED)
find_library(VLTUNE_SENTENCEPIECE_LIBRARY sentencepiece REQUIRED)
find_library(VLTUNE_SENTENCEPIECE_TRAIN_LIBRARY sentencepiece_train REQUIRED)
target_compile_options(vltune_torch INTERFACE ${TORCH_CXX_FLAGS})
message(STATUS "vltune: LibTorch ${Torch_VERSION} from ${TORCH_INSTALL_PREFIX}")
# CUDA graphs (core/replayed_work.h) need LibTorch's CUDA part: the GPU machine's has it, Debian's
# does not (core/replayed_work_direct.cpp then runs the work each time).
if(TARGET torch_cuda)
  set(VLTUNE_TORCH_HAS_CUDA ON)
else()
  set(VLTUNE_TORCH_HAS_CUDA OFF)
endif()
message(STATUS "vltune: CUDA graphs ${VLTUNE_TORCH_HAS_CUDA}")
# vltune's own CUDA kernels (adapters/decomposed_kernels.cu) where LibTorch has CUDA and nvcc is
# found; otherwise ATen's operations do that work. Architectures: CMAKE_CUDA_ARCHITECTURES or
# CUDAARCHS where given, else Ampere and Hopper.
set(VLTUNE_CUDA_KERNELS OFF)
if(VLTUNE_TORCH_HAS_CUDA)
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED ENV{CUDAARCHS})
      set(CMAKE_CUDA_ARCHITECTURES 80 90)
    endif()
    enable_language(CUDA)
    set(VLTUNE_CUDA_KERNELS ON)
  endif()
endif()
message(STATUS "vltune: CUDA kernels ${VLTUNE_CUDA_KERNELS}")

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
