# Sourced on the GPU machine by every script that builds vltune there (tools/build_base.sh,
# tools/gpu_results.sh, the benches through bench/gpu_bench_build.sh): `gpu_build BUILD_DIR TARGET...` configures
# BUILD_DIR against the machine's PyTorch (LibTorch 2.x + CUDA, media off, plus GPU_CMAKE_ARGS) and
# builds those targets. RE2, PCRE2 and ICU come from the Debian packages carried in .deps
# (tools/gpu_deps.sh), which the GPU machine lacks. The logs are BUILD_DIR.configure.log and
# BUILD_DIR.build.log; on a failure their errors are printed and it returns 1.
gpu_build() {
  local build=$1 prefix
  shift
  if [ -n "$(ls .deps/*.deb 2> /dev/null)" ]; then eval "$(bash tools/gpu_deps.sh install)"; fi
  prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  echo "== $(date -u +%F) torch $(python3 -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0))')"
  # shellcheck disable=SC2086  # GPU_CMAKE_ARGS is a list of arguments
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DVLTUNE_WITH_MEDIA=OFF ${GPU_CMAKE_ARGS:-} \
        -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" > "$build.configure.log" 2>&1 ||
    { tail -n 30 "$build.configure.log"; return 1; }
  if ! cmake --build "$build" --target "$@" --parallel "$(nproc)" -- -k 0 > "$build.build.log" 2>&1; then
    grep -E -B2 -A12 "error|FAILED" "$build.build.log" | head -n 80
    return 1
  fi
}
