// docs/results.md's generated blocks (`vltune results render`). The doc marks each block:
//
//   <!-- results:STUDY [table=runs|analysis] [refs=STUDY2] -->
//   ... replaced on every render ...
//   <!-- /results -->
//
// and each is rendered from the committed raw files of RESULTS_DIR/STUDY (analysis/study_results.h):
//   table=runs (default)  one row per variant: method, rank, trainable parameters, seeds, the
//       primary metric as mean ± sample std over seeds, its paired difference against LoRA with a
//       95% bootstrap interval over items × seeds and the verdict (analysis/paired_bootstrap.h),
//       the other eval metrics, the step time, the learning rate of its runs ("lr (tuned)" when the
//       study has tuning.json, whose candidates' validation scores follow the table, one line per
//       variant, the chosen lr in bold). Three reference rows come first: the base before
//       fine-tuning (base.json), the text-only prior (prior.json) and full fine-tuning (the variant
//       whose method is full), all from STUDY2's folder when refs= names one (a rank study shares
//       its task's references), else from STUDY's. A missing reference says so in its row.
//       A variant's LoRA is the lora variant of the same placement and rank; else the study's only
//       lora variant; else it has none ("-").
//   table=analysis   the ΔM/ΔD view of RESULTS_DIR/STUDY/analysis/analysis.csv: q_proj per method
//       and checkpoint (r, partial r given ‖ΔW‖, mean angle), then each method pooled over modules
//       and checkpoints (the second view).
// A study without results.json (not run yet) renders as a line that says so and names the
// commands that make it. No number in a block is typed by hand.
#pragma once
#include <string>

#include "analysis/paired_bootstrap.h"

namespace vltune::analysis {

// `doc` with every block rendered. `doc_path` names the doc in errors (with the line of a bad or
// unclosed marker). Throws ([report]) for a marker it cannot read or a study whose files are malformed.
std::string render_results_doc(const std::string& doc, const std::string& doc_path, const std::string& results_dir,
                               const BootstrapOptions& bootstrap = {});

}  // namespace vltune::analysis
