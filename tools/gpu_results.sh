#!/usr/bin/env bash
# docs/results.md's runs on the GPU machine (no OpenCV or FFmpeg there), one device call at a time:
# builds vltune against the machine's PyTorch (media off; kept between calls while the machine is
# warm), unpacks BUNDLE (the data and the prepared media caches, made here), runs the compare files
# through tools/compare_pool.sh until LIMIT seconds are nearly spent, and packs docs/results/ (what
# tools/results_finish.sh wrote: the ΔM/ΔD analysis ran here, on checkpoints that stay) and the pool's
# logs into OUT/results.tar.xz, and every run's records into OUT/run-records.tar.xz
# (docs/results/run-records.tar.xz, the next PREVIOUS). The run folders stay here: with their eval
# answers they outgrew the 16 MiB a returned file may have (2026-12-03), and their records suffice.
# Calling it again continues: finished runs are reused.
#
# BUNDLE: `bash tools/build_base.sh prep data/base-bundle.tar.xz` here makes it (data/base-bundle-studies.tar.xz:
# the downstream data and its media caches; the pretraining bundle data/base-bundle.tar.xz serves too,
# with @data.cache=data/base/cache for the image tasks). MODEL_PARTS: a folder with the base's
# base-vlm.tar.gz.part-* (tools/build_base.sh gpu's OUT), unpacked into models/ unless models/base-vlm is here.
# The device call carries BUNDLE, MODEL_PARTS and the RE2 packages (.deps/libre2-9_*.deb, .deps/libre2-dev_*.deb).
# Usage (GPU machine, repository root):
#   [PREVIOUS=run-records.tar.xz] [RETRAIN="STUDY..."] [RERUN="STUDY/VARIANT..." [RERUN_BEFORE=TIME]] [MODEL_PARTS=DIR] [MARGIN=240] [CUDA_WORKERS=4] LIMIT=600 bash tools/gpu_results.sh BUNDLE OUT FILE@DEVICE[@SETTINGS]...
set -uo pipefail
bundle=$1 out=$2
shift 2
limit=${LIMIT:-600}
start=$(date +%s)
build=build-cuda
source tools/gpu_build.sh
GPU_CMAKE_ARGS=-DVLTUNE_BUILD_TESTS=OFF gpu_build "$build" vltune vltune-sentencepiece > "$out/build.log" || {
  cat "$out/build.log"; exit 1; }
rm "$out/build.log"
echo "== built in $(($(date +%s) - start)) s"
marker=data/base/.unpacked-$(basename "$bundle")
[ -f "$marker" ] || { xz -dc "$bundle" | tar xf - && touch "$marker"; }
python3 tools/cache_placeholders.py data/base/*cache
[ -d models/base-vlm ] || [ -z "${MODEL_PARTS:-}" ] || cat "$MODEL_PARTS"/base-vlm.tar.gz.part-* | tar xzf - -C models
# A fresh machine continues from the runs an earlier call brought back (PREVIOUS: its run-records.tar.xz).
# (docs/results/run-records.tar.xz holds the records of every run behind docs/results.md.)
[ -d runs/results ] || [ -z "${PREVIOUS:-}" ] || tar xf "$PREVIOUS"
# A methods study's ΔM/ΔD (tools/results_finish.sh) reads its FT, LoRA and DoRA seed runs'
# checkpoints, which never leave this machine. Restored runs keep the committed analysis; RETRAIN
# ("study ...") trains those runs of the named studies again, for a new one.
for name in ${RETRAIN:-}; do bash tools/drop_runs.sh --seeds-only "$name"/ft "$name"/lora "$name"/dora || exit 1; done
# RERUN ("STUDY/VARIANT ..."; with RERUN_BEFORE="TIME", only its runs older than TIME) trains those
# variants' seed and tuning runs again (tools/drop_runs.sh).
# shellcheck disable=SC2086  # RERUN is a list
if [ -n "${RERUN:-}" ]; then bash tools/drop_runs.sh ${RERUN_BEFORE:+--before "$RERUN_BEFORE"} $RERUN || exit 1; fi
left=$((limit - ($(date +%s) - start)))
# No shard starts in the last MARGIN s (default 240: a shard's runs must end before the timeout); 30 s kept for packing.
DEADLINE=$((left - ${MARGIN:-240})) VLTUNE=$build/cli/vltune timeout $((left - 30)) bash tools/compare_pool.sh "$@"
# docs/results/<study>/ holds what the repository commits (tools/results_finish.sh wrote it).
tar cJf "$out/results.tar.xz" runs/pool-logs docs/results
# What docs/results/run-records.tar.xz holds, and the next call's PREVIOUS: each run's records and each study's tuning.json.
{ ls runs/results/*/tuning.json; ls runs/results/*/{runs,tune}/*/{recipe.yaml,compare_run.json,diverged.json,summary.json}; } 2> /dev/null |
  tar cJf "$out/run-records.tar.xz" -T -
echo "== $(($(date +%s) - start)) s in all"
