// docs/results.md's machinery (issue 16): a comparison's records collected into a study folder
// (analysis/study_results.h), and the doc's marked blocks rendered from such folders
// (analysis/results_doc.h): reference rows, mean ± std, the paired bootstrap against LoRA and its
// verdict, the ΔM/ΔD table from analysis.csv; errors that name the file and line.
#include <filesystem>
#include <tuple>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/analysis_report.h"
#include "analysis/compare_report.h"
#include "analysis/results_doc.h"
#include "analysis/study_results.h"
#include "core/atomic_file.h"
#include "test_support.h"
#include "variant_run_support.h"
#include "training/compare_tune.h"

namespace vltune {
namespace {

namespace fs = std::filesystem;
using analysis::VariantRun;
using test::read_text_file;

// A run scored on 10 items: item i scores correct / 10 + i / 100, so its exact_match is
// correct / 10 + 0.045, and two runs differ by the same amount on every item.
VariantRun scored_run(const std::string& variant, const std::string& method, int64_t rank, uint64_t seed, int correct) {
  auto run = test::variant_run(variant, method, rank, seed, "/somewhere/runs");
  run.trainable_params = method == "full" ? 196608 : 1000 * rank;
  run.trainable_percent = run.trainable_params / 8883.2;
  run.step_time_ms = 40 + seed;
  run.loss_curve = {{1, 2.0}, {2, 1.5}};
  for (int i = 0; i < 10; ++i) {
    run.item_ids.push_back("q" + std::to_string(i));
    run.item_scores["exact_match"].push_back(correct / 10.0 + i / 100.0);
  }
  run.metrics = {{"exact_match", correct / 10.0 + 0.045}, {"loss", 1.0 - correct / 20.0}, {"train_loss", 0.5}};
  return run;
}

// lora: 4, 5, 6 over seeds 0-2; dora 0.1 more on every item (a constant shift); vera exactly
// lora's scores; ft 0.1 less.
std::vector<VariantRun> study_runs() {
  std::vector<VariantRun> runs;
  for (uint64_t seed = 0; seed < 3; ++seed) {
    const int lora = 4 + static_cast<int>(seed);
    runs.push_back(scored_run("ft", "full", 0, seed, lora - 1));
    runs.push_back(scored_run("lora", "lora", 8, seed, lora));
    runs.push_back(scored_run("dora", "dora", 8, seed, lora + 1));
    runs.push_back(scored_run("vera", "vera", 8, seed, lora));
  }
  return runs;
}

class ResultsDoc : public ::testing::Test {
 protected:
  void SetUp() override {
    analysis::write_compare_report(dir_.file("compare"), study_runs(), "demo: methods", "exact_match");
    analysis::collect_study(dir_.file("compare"), dir_.file("results/demo"));
  }
  std::string render(const std::string& doc) { return analysis::render_results_doc(doc, "results.md", dir_.file("results")); }
  test::TempDir dir_;
};

TEST_F(ResultsDoc, CollectKeepsEveryRunsScoresButNoCurvesOrFolders) {
  const auto json = nlohmann::json::parse(read_text_file(dir_.file("results/demo/results.json")));
  EXPECT_EQ(json["primary_metric"], "exact_match");
  EXPECT_EQ(json["item_ids"].size(), 10u);
  ASSERT_EQ(json["runs"].size(), 12u);
  EXPECT_EQ(json["runs"][1]["item_scores"]["exact_match"].size(), 10u);
  EXPECT_TRUE(json["runs"][1]["item_ids"].empty());  // once, at the top
  EXPECT_TRUE(json["runs"][1]["loss_curve"].empty());
  EXPECT_EQ(json["runs"][1]["run_dir"], "lora-seed0");
  const auto csv = read_text_file(dir_.file("results/demo/results.csv"));
  EXPECT_THAT(csv, HasSubstr("variant,method,placement,rank,seed,trainable_params,trainable_percent,peak_memory_mib,step_time_ms,tokens_per_s,exact_match,loss,train_loss\n"));
  EXPECT_EQ(test::count_occurrences(csv, "\n"), 13);  // header and 12 runs
  const auto study = analysis::load_study(dir_.file("results/demo"));
  EXPECT_EQ(study.name, "demo");
  EXPECT_EQ(study.runs[5].item_ids, study.item_ids);
  EXPECT_EQ(study.runs[5].item_scores.at("exact_match"), study_runs()[5].item_scores.at("exact_match"));
}

TEST_F(ResultsDoc, RendersTheTableWithReferencesIntervalsAndVerdicts) {
  const std::string doc = "# Results\n\ntext before\n<!-- results:demo -->\nold numbers\n<!-- /results -->\ntext after\n";
  auto out = render(doc);
  EXPECT_THAT(out, HasSubstr("text before\n<!-- results:demo -->\n| variant |"));
  EXPECT_THAT(out, HasSubstr("<!-- /results -->\ntext after\n"));
  EXPECT_THAT(out, Not(HasSubstr("old numbers")));
  EXPECT_THAT(out, HasSubstr("| base, before fine-tuning | - | - | - | - | not measured (no base.json) |"));
  EXPECT_THAT(out, HasSubstr("| text-only prior | - | - | - | - | not measured (no prior.json) |"));
  // FT comes third, as a reference; lora's exact_match is 0.445, 0.545, 0.645: mean 0.545, std 0.1.
  EXPECT_THAT(out, HasSubstr("| FT: ft | full | - | 196,608 (22.1%) | 3 | 0.445 ± 0.100 | -0.100 [-0.100, -0.100] vs lora | worse |"));
  EXPECT_THAT(out, HasSubstr("| lora | lora | 8 | 8,000 (0.901%) | 3 | 0.545 ± 0.100 | (baseline) | - |"));
  EXPECT_THAT(out, HasSubstr("| dora | dora | 8 | 8,000 (0.901%) | 3 | 0.645 ± 0.100 | +0.100 [+0.100, +0.100] vs lora | better |"));
  EXPECT_THAT(out, HasSubstr("| vera | vera | 8 | 8,000 (0.901%) | 3 | 0.545 ± 0.100 | +0.000 [+0.000, +0.000] vs lora | tie |"));
  EXPECT_THAT(out, HasSubstr("12 runs (`docs/results/demo/results.json`), 10 eval items each"));
  EXPECT_THAT(out, Not(HasSubstr("train_loss")));
  EXPECT_LT(out.find("| FT: ft"), out.find("| lora |"));
  EXPECT_EQ(render(out), out);  // rendering again changes nothing

  std::ofstream(dir_.file("results/demo/base.json")) << R"({"command": "vltune eval ...", "metrics": {"exact_match": 0.05}})";
  std::ofstream(dir_.file("results/demo/prior.json")) << R"({"metrics": {"exact_match": 0.22, "loss": 1.5}})";
  out = render(out);
  EXPECT_THAT(out, HasSubstr("| base, before fine-tuning | - | - | - | - | 0.050 | - | - | - | - |"));
  EXPECT_THAT(out, HasSubstr("| text-only prior | - | - | - | - | 0.220 | - | - | 1.500 | - |"));
  // The commands' own output: vltune eval's metrics at the top, vltune data prior --json's "prior".
  std::ofstream(dir_.file("results/demo/base.json")) << R"({"exact_match": 0.07, "loss": 2.25, "bad_samples": 0})";
  std::ofstream(dir_.file("results/demo/prior.json")) << R"({"train": "t.json", "prior": 0.24, "correct": 240, "test_items": 1000})";
  out = render(out);
  EXPECT_THAT(out, HasSubstr("| base, before fine-tuning | - | - | - | - | 0.070 | - | - | 2.250 | - |"));
  EXPECT_THAT(out, HasSubstr("| text-only prior | - | - | - | - | 0.240 | - | - | - | - |"));
}

TEST_F(ResultsDoc, AStudyCanTakeItsReferencesFromItsTasksMethodsStudy) {
  auto runs = study_runs();
  runs.erase(std::remove_if(runs.begin(), runs.end(), [](const auto& r) { return r.method == "full"; }), runs.end());
  analysis::write_compare_report(dir_.file("ranks-compare"), runs, "demo: ranks", "exact_match");
  analysis::collect_study(dir_.file("ranks-compare"), dir_.file("results/ranks"));
  std::ofstream(dir_.file("results/demo/prior.json")) << R"({"metrics": {"exact_match": 0.25}})";
  const auto out = render("<!-- results:ranks refs=demo -->\n<!-- /results -->\n");
  EXPECT_THAT(out, HasSubstr("| text-only prior | - | - | - | - | 0.250 |"));
  EXPECT_THAT(out, HasSubstr("| FT (demo) | full | - | 196,608 (22.1%) | 3 | 0.445 ± 0.100 | - | - |"));
  EXPECT_THAT(render("<!-- results:ranks -->\n<!-- /results -->\n"), Not(HasSubstr("FT (")));
}

TEST_F(ResultsDoc, AStudyNotRunYetSaysSoAndNamesTheCommands) {
  const auto out = render("<!-- results:later -->\n<!-- /results -->\n<!-- results:later table=analysis -->\n<!-- /results -->\n");
  EXPECT_THAT(out, HasSubstr("_Not run yet: no `docs/results/later/results.json`."));
  EXPECT_THAT(out, HasSubstr("vltune results collect runs/results/later --out docs/results/later"));
  EXPECT_THAT(out, HasSubstr("no `docs/results/later/analysis/analysis.csv`"));
}

TEST_F(ResultsDoc, TheAnalysisTableComesFromThePoints) {
  std::vector<analysis::AnalysisPoint> points;
  for (int64_t step : {10, 20})
    for (int64_t layer = 0; layer < 3; ++layer)
      for (const char* module : {"q_proj", "v_proj"})  // ΔM = 2·ΔD on q_proj: r = +1
        points.push_back({"dora-seed0", "dora", step, module, layer, 0.02 * (layer + 1) * step, 0.01 * (layer + 1) * step,
                          0.1 * step, 1.5 * step});
  analysis::write_analysis(dir_.file("results/demo/analysis"), points);
  EXPECT_EQ(analysis::read_analysis_csv(dir_.file("results/demo/analysis/analysis.csv")).size(), points.size());
  const auto out = render("<!-- results:demo table=analysis -->\n<!-- /results -->\n");
  EXPECT_THAT(out, HasSubstr("| method | step | points | r(ΔD, ΔM) | partial r given ‖ΔW‖ | r(ΔD, ‖ΔW‖) | r(ΔM, ‖ΔW‖) | mean angle (°) | mean ‖ΔW‖ |"));
  EXPECT_THAT(out, HasSubstr("| dora | 10 | 3 | +1.000 | n/a | n/a | n/a | 15.00 | 1 |"));  // ‖ΔW‖ does not vary within a step
  EXPECT_THAT(out, HasSubstr("| dora | 20 | 3 | +1.000 | n/a | n/a | n/a | 30.00 | 2 |"));
  EXPECT_THAT(out, HasSubstr("| dora | all | 12 |"));  // the pooled second view
}

TEST_F(ResultsDoc, BadMarkersAndFilesAreErrorsNamingTheLine) {
  test::expect_error([&] { render("a\n<!-- results:demo -->\nb\n"); }, {"results.md:2", "not closed"});
  test::expect_error([&] { render("<!-- /results -->\n"); }, {"results.md:1", "without an opening"});
  test::expect_error([&] { render("<!-- results:demo colour=red -->\n<!-- /results -->\n"); }, {"results.md:1", "colour=red"});
  test::expect_error([&] { render("<!-- results:../etc -->\n<!-- /results -->\n"); }, {"results.md:1", "naming a folder"});
  test::expect_error([&] { render("<!-- results:demo -->\n<!-- results:demo -->\n<!-- /results -->\n"); }, {"results.md:2", "inside the block"});
  std::ofstream(dir_.file("results/demo/base.json")) << R"({"metrics": {"exact_match": "high"}})";
  test::expect_error([&] { render("<!-- results:demo -->\n<!-- /results -->\n"); }, {"base.json", "metrics.exact_match"});
  std::ofstream(dir_.file("results/demo/results.json")) << "{\"title\": 1}";
  test::expect_error([&] { render("<!-- results:demo -->\n<!-- /results -->\n"); }, {"demo/results.json", "title"});
}

TEST_F(ResultsDoc, RunsScoredOnOtherItemsAreNotCollected) {
  auto runs = study_runs();
  runs[4].item_ids[3] = "another";
  analysis::write_compare_report(dir_.file("mixed"), runs, "mixed", "exact_match");
  test::expect_error([&] { analysis::collect_study(dir_.file("mixed"), dir_.file("results/mixed")); },
                     {"[report]", "run ft seed 1 was scored on other items", "the same eval items"});
  EXPECT_FALSE(fs::exists(dir_.file("results/mixed/results.json")));
}

// Issue 16: a tuned study: each run records its lr, OUT/tuning.json is collected, and the table
// shows the lr of each variant, then every candidate's validation score with the chosen one in bold.
TEST_F(ResultsDoc, ATunedStudyShowsEachVariantsLrAndTheCandidatesValidationScores) {
  auto runs = study_runs();
  for (auto& run : runs) run.lr = run.method == "full" ? 2e-4 : 4e-3;
  analysis::write_compare_report(dir_.file("tuned"), runs, "demo: tuned", "exact_match");
  std::vector<training::VariantTuning> tuning;
  for (const char* variant : {"ft", "lora", "dora", "vera"}) {
    const bool ft = std::string(variant) == "ft";
    tuning.push_back({variant, {}, std::string(variant) == "vera" ? 2u : std::string(variant) == "lora" ? 0u : 1u, std::nullopt});  // ends: VeRA, LoRA
    for (const auto& [text, value, score] : std::vector<std::tuple<std::string, double, double>>{
             {ft ? "1e-4" : "2e-3", ft ? 1e-4 : 2e-3, 0.5}, {ft ? "2e-4" : "4e-3", ft ? 2e-4 : 4e-3, 0.625}, {ft ? "5e-4" : "8e-3", ft ? 5e-4 : 8e-3, 0.25}})
      tuning.back().candidates.push_back({{text, value}, {{"exact_match", score}, {"loss", 1.0}}, std::string("tune/") + variant + "-lr" + text,
                                          16, 0, "", {}, {}});
  }
  training::TuneSpec spec;
  spec.seed = 3;
  write_file_atomically(dir_.file("tuned/tuning.json"), training::tuning_json(tuning, spec, "exact_match"));
  analysis::collect_study(dir_.file("tuned"), dir_.file("results/tuned"));
  EXPECT_EQ(read_text_file(dir_.file("results/tuned/tuning.json")), read_text_file(dir_.file("tuned/tuning.json")));
  EXPECT_EQ(nlohmann::json::parse(read_text_file(dir_.file("results/tuned/results.json")))["runs"][1]["lr"], 4e-3);
  const auto out = render("<!-- results:tuned -->\n<!-- /results -->\n");
  EXPECT_THAT(out, HasSubstr("| step (ms) | lr (tuned) |"));
  EXPECT_THAT(out, HasSubstr("| FT: ft | full | - | 196,608 (22.1%) | 3 | 0.445 ± 0.100 | -0.100 [-0.100, -0.100] vs lora | worse | 0.800 ± 0.050 | 41.0 | 0.0002 |"));
  EXPECT_THAT(out, HasSubstr("| lora | lora | 8 | 8,000 (0.901%) | 3 | 0.545 ± 0.100 | (baseline) | - | 0.750 ± 0.050 | 41.0 | 0.004 |"));
  EXPECT_THAT(out, HasSubstr("| base, before fine-tuning | - | - | - | - | not measured (no base.json) | - | - | - | - | - |\n"));
  EXPECT_THAT(out, HasSubstr("10% of the training data held out (the same samples for every run), one run per candidate with seed 3; "
                             "exact_match on the held-out samples, chosen by the best primary metric"));
  EXPECT_THAT(out, HasSubstr("- ft: 0.0001 → 0.500, **0.0002 → 0.625**, 0.0005 → 0.250\n"));
  EXPECT_THAT(out, HasSubstr("- dora: 0.002 → 0.500, **0.004 → 0.625**, 0.008 → 0.250\n"));  // no margin recorded: no lead
  EXPECT_THAT(out, HasSubstr("- vera: 0.002 → 0.500, 0.004 → 0.625, **0.008 → 0.250** (the grid's top: a higher lr may do better)\n"));
  EXPECT_THAT(out, HasSubstr("- lora: **0.002 → 0.500**, 0.004 → 0.625, 0.008 → 0.250 (the grid's bottom: a lower lr may do better)\n"));
  EXPECT_EQ(render(out), out);
  // Without tuning.json the column is the runs' lr; a record without an lr (from before) shows "-".
  EXPECT_THAT(render("<!-- results:demo -->\n<!-- /results -->\n"), HasSubstr("| step (ms) | lr |"));
  EXPECT_THAT(render("<!-- results:demo -->\n<!-- /results -->\n"), HasSubstr("| (baseline) | - | 0.750 ± 0.050 | 41.0 | - |"));
  std::ofstream(dir_.file("results/tuned/tuning.json")) << R"({"primary_metric": "exact_match", "variants": 3})";
  test::expect_error([&] { render("<!-- results:tuned -->\n<!-- /results -->\n"); }, {"tuned/tuning.json", "not a tuning record"});
  std::ofstream(dir_.file("results/tuned/tuning.json"))
      << R"({"primary_metric": "exact_match", "rule": "r", "validation": 0.1, "seed": 0, "variants": [{"variant": "lora", "chosen_lr": 0.001,)"
      << R"( "candidates": [{"lr": 0.001, "run": "tune/lora-lr0.001", "metrics": {"exact_match": 0.5}, "items": -4}]}]})";
  test::expect_error([&] { render("<!-- results:tuned -->\n<!-- /results -->\n"); }, {"tuned/tuning.json", "variant lora", "'items' is -4"});
}

// A tuning candidate whose run diverged has no score: its line says where the run stopped, choose_lr
// passes it over (so the best finished lr below it is no grid end), and a tuning.json that chose it
// is refused.
TEST_F(ResultsDoc, ADivergedCandidateShowsWhereItsRunStoppedAndIsNeverChosen) {
  auto runs = study_runs();
  analysis::write_compare_report(dir_.file("diverged"), runs, "demo: diverged", "exact_match");
  std::vector<training::VariantTuning> tuning;
  for (const char* variant : {"ft", "lora", "dora", "vera"}) {
    tuning.push_back({variant, {}, 0, std::nullopt});
    auto& candidates = tuning.back().candidates;
    auto add = [&](const std::string& text, double lr, double score) {  // score < 0: diverged at step 157
      training::TunedCandidate c;
      c.lr = {text, lr};
      c.run = cat("tune/", variant, "-lr", lr);
      if (score < 0) c.diverged_step = 157, c.diverged_cause = "the gradient norm is inf";
      else c.metrics = {{"exact_match", score}}, c.items = 16;
      candidates.push_back(c);
    };
    add("2e-3", 2e-3, 0.5);
    add("8e-3", 8e-3, -1);
    add("4e-3", 4e-3, 0.625);
    tuning.back().chosen = training::choose_lr(candidates, "exact_match", variant);
    EXPECT_EQ(tuning.back().chosen, 2u);
  }
  write_file_atomically(dir_.file("diverged/tuning.json"), training::tuning_json(tuning, training::TuneSpec{}, "exact_match"));
  EXPECT_EQ(nlohmann::json::parse(read_text_file(dir_.file("diverged/tuning.json")))["variants"][0]["candidates"][1].dump(),
            R"({"diverged":{"cause":"the gradient norm is inf","step":157},"lr":0.008,"run":"tune/ft-lr0.008"})");
  analysis::collect_study(dir_.file("diverged"), dir_.file("results/diverged"));
  const auto out = render("<!-- results:diverged -->\n<!-- /results -->\n");
  EXPECT_THAT(out, HasSubstr("- lora: 0.002 → 0.500, 0.008 → diverged at step 157 (the gradient norm is inf), **0.004 → 0.625**\n"));
  EXPECT_EQ(render(out), out);

  auto all_diverged = tuning[1].candidates;
  all_diverged.erase(all_diverged.begin());
  all_diverged.pop_back();
  test::expect_error([&] { training::choose_lr(all_diverged, "exact_match", "lora"); },
                     {"[compare] variant 'lora'", "every tuning run diverged", "tune/lora-lr0.008, at step 157", "lower learning rates"});
  tuning[1].chosen = 1;  // a record that chose the diverged candidate
  write_file_atomically(dir_.file("results/diverged/tuning.json"), training::tuning_json(tuning, training::TuneSpec{}, "exact_match"));
  test::expect_error([&] { render("<!-- results:diverged -->\n<!-- /results -->\n"); },
                     {"diverged/tuning.json", "variant lora", "chosen_lr 0.008 is not one of its candidates that finished"});
  std::ofstream(dir_.file("results/diverged/tuning.json"))
      << R"({"primary_metric": "exact_match", "rule": "r", "validation": 0.1, "seed": 0, "variants": [{"variant": "lora", "chosen_lr": 0.001,)"
      << R"( "candidates": [{"lr": 0.001, "run": "tune/lora-lr0.001", "diverged": {"step": 0, "cause": "x"}}]}]})";
  test::expect_error([&] { render("<!-- results:diverged -->\n<!-- /results -->\n"); },
                     {"diverged/tuning.json", "variant lora", "diverged at step 0; expected a step >= 1"});
}

// The chosen lr's lead over the next best finished candidate, paired on the validation items with a
// bootstrap interval (training::choice_margin): "decided" only when the interval excludes 0. A lead
// of 1 item in 200 is undecided; one of 60 items in 200, decided. Lower-is-better metrics flip the
// sign, so that > 0 always favours the choice.
TEST_F(ResultsDoc, ATuningLineGivesTheChoicesLeadOverTheNextBestWithItsInterval) {
  analysis::write_compare_report(dir_.file("margin"), study_runs(), "demo: margin", "exact_match");
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.push_back("v" + std::to_string(i));
  auto candidate = [&](const std::string& text, double lr, int wins) {  // scores 0.5 + wins/200; wins < 0: diverged
    training::TunedCandidate c;
    c.lr = {text, lr};
    c.run = "tune/x-lr" + text;
    if (wins < 0) return c.diverged_step = 9, c.diverged_cause = "the loss is nan", c;
    c.item_ids = ids;
    c.item_scores.assign(200, 0.0);
    for (int i = 0; i < 100 + wins; ++i) c.item_scores[i] = 1.0;
    c.metrics = {{"exact_match", (100.0 + wins) / 200}};
    c.items = 200;
    return c;
  };
  std::vector<training::VariantTuning> tuning;
  for (const char* variant : {"ft", "lora", "dora", "vera"}) {
    const int lead = std::string(variant) == "lora" ? 60 : 1;
    tuning.push_back({variant, {candidate("2e-3", 2e-3, 0), candidate("4e-3", 4e-3, lead), candidate("8e-3", 8e-3, -1)}, 0, std::nullopt});
    tuning.back().chosen = training::choose_lr(tuning.back().candidates, "exact_match", variant);
    tuning.back().margin = training::choice_margin(tuning.back().candidates, tuning.back().chosen, "exact_match");
    ASSERT_TRUE(tuning.back().margin) << variant;
    EXPECT_EQ(tuning.back().margin->over_lr, 2e-3);
    EXPECT_DOUBLE_EQ(tuning.back().margin->difference.mean, lead / 200.0);
    EXPECT_EQ(tuning.back().margin->difference.items, 200);
  }
  write_file_atomically(dir_.file("margin/tuning.json"), training::tuning_json(tuning, training::TuneSpec{}, "exact_match"));
  analysis::collect_study(dir_.file("margin"), dir_.file("results/margin"));
  const auto out = render("<!-- results:margin -->\n<!-- /results -->\n");
  EXPECT_THAT(out, HasSubstr("**0.004 → 0.800**, 0.008 → diverged at step 9 (the loss is nan) (ahead of 0.002 by +0.300 ["));
  EXPECT_THAT(out, HasSubstr("- dora: 0.002 → 0.500, **0.004 → 0.505**, 0.008 → diverged at step 9 (the loss is nan) (ahead of 0.002 by +0.005 ["));
  EXPECT_EQ(test::count_occurrences(out, "on its 200 validation samples: decided)"), 1) << out;
  EXPECT_EQ(test::count_occurrences(out, "on its 200 validation samples: undecided)"), 3) << out;

  // Loss: lower is better, so the lower-scoring candidate leads by a positive margin.
  auto by_loss = tuning[1].candidates;
  for (auto& c : by_loss) c.metrics = {{"loss", c.metrics.count("exact_match") ? 1 - c.metrics.at("exact_match") : 0}};
  for (auto& c : by_loss) for (auto& x : c.item_scores) x = 1 - x;
  const auto chosen = training::choose_lr(by_loss, "loss", "lora");
  EXPECT_EQ(chosen, 1u);
  EXPECT_DOUBLE_EQ(training::choice_margin(by_loss, chosen, "loss")->difference.mean, 0.3);
  by_loss[0].item_ids[7] = "another item";  // not the same items: no pairing
  EXPECT_FALSE(training::choice_margin(by_loss, chosen, "loss"));
  EXPECT_FALSE(training::choice_margin({by_loss[1]}, 0, "loss"));  // no other candidate

  auto json = nlohmann::json::parse(read_text_file(dir_.file("results/margin/tuning.json")));
  json["variants"][2]["margin"]["low"] = 0.5;  // above its high
  write_file_atomically(dir_.file("results/margin/tuning.json"), json.dump());
  test::expect_error([&] { render("<!-- results:margin -->\n<!-- /results -->\n"); },
                     {"margin/tuning.json", "variant dora", "expected finite numbers, low <= high"});
}

// tools/collect_gpu_results.sh: a gpu_results.sh call's results.tar.xz brings the studies that hold
// a results.json into docs/results (files it lacks stay), its run-records.tar.xz replaces the
// committed one, and the doc is rendered from them.
TEST_F(ResultsDoc, CollectingAGpuCallBringsItsStudiesAndRecordsAndRendersTheDoc) {
  const auto repo = fs::path(VLTUNE_TEST_DATA).parent_path().parent_path().lexically_normal();
  const auto root = fs::path(dir_.file("repo")), call = fs::path(dir_.file("call"));
  fs::create_directories(root / "docs/results/demo/analysis");
  std::ofstream(root / "docs/results/demo/analysis/analysis.csv") << "kept\n";
  std::ofstream(root / "docs/results.md") << "<!-- results:demo -->\n<!-- /results -->\n";
  fs::create_directories(call / "docs/results/base-vlm");  // what the machine packs: demo's new files, an empty folder
  analysis::collect_study(dir_.file("compare"), (call / "docs/results/demo").string());
  std::ofstream(call / "records") << "records";
  auto run = [&](const std::string& in) {
    return test::run_shell("cd " + root.string() + " && VLTUNE=" + test::vltune_binary() + " bash " +
                           (repo / "tools/collect_gpu_results.sh").string() + " " + in);
  };
  auto result = run(call.string());
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("no " + call.string() + "/results.tar.xz"));
  ASSERT_EQ(test::run_shell("cd " + call.string() + " && tar cJf results.tar.xz docs && tar cJf run-records.tar.xz records").status, 0);
  fs::rename(root / "docs/results", root / "docs/results-away");  // still moved out for a device call
  result = run(call.string());
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("no docs/results here (move it back first"));
  fs::rename(root / "docs/results-away", root / "docs/results");
  result = run(call.string());
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("collect_gpu_results: 1 studies, and docs/results/run-records.tar.xz"));
  EXPECT_EQ(read_text_file((root / "docs/results/demo/results.json").string()), read_text_file(dir_.file("results/demo/results.json")));
  EXPECT_EQ(read_text_file((root / "docs/results/demo/analysis/analysis.csv").string()), "kept\n");
  EXPECT_FALSE(fs::exists(root / "docs/results/base-vlm"));
  EXPECT_EQ(read_text_file((root / "docs/results/run-records.tar.xz").string()), read_text_file((call / "run-records.tar.xz").string()));
  EXPECT_THAT(read_text_file((root / "docs/results.md").string()), HasSubstr("| lora | lora | 8 |"));
}

// tools/gpu_stash.sh moves what a results call does not need out of the tree and back: every
// folder of its table, with the run records copied where the call carries them from; a stash not
// yet brought back, a missing folder or a folder that would be overwritten is refused before
// anything moves.
TEST_F(ResultsDoc, StashingForAGpuCallMovesTheUnneededFoldersOutAndBackIntact) {
  const auto repo = fs::path(VLTUNE_TEST_DATA).parent_path().parent_path().lexically_normal();
  const auto root = fs::path(dir_.file("tree")), stash = fs::path(dir_.file("stash"));
  const std::vector<std::string> folders = {"docs/results", "tests/data", "fuzz/corpus", "models/tiny-vlm"};
  for (const auto& folder : folders) {
    fs::create_directories(root / folder);
    std::ofstream(root / folder / "file") << folder;
  }
  std::ofstream(root / "docs/results/run-records.tar.xz") << "records";
  fs::create_directories(root / "models/base-vlm");
  auto run = [&](const std::string& args) {
    return test::run_shell("cd " + root.string() + " && bash " + (repo / "tools/gpu_stash.sh").string() + " " + args);
  };
  auto result = run("out " + (root / "inside").string());
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("is inside the working tree"));
  result = run("back " + stash.string());
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("nothing stashed there"));

  result = run("out " + stash.string());
  ASSERT_EQ(result.status, 0) << result.output;
  for (const auto& folder : folders) {
    EXPECT_FALSE(fs::exists(root / folder)) << folder;
    EXPECT_EQ(read_text_file((stash / folder / "file").string()), folder);
  }
  EXPECT_EQ(read_text_file((root / "data/run-records.tar.xz").string()), "records");
  EXPECT_TRUE(fs::exists(root / "models/base-vlm"));
  result = run("out " + stash.string());
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("is not empty (a stash not brought back yet?"));

  fs::create_directories(root / "fuzz/corpus");  // recreated while stashed: back must not overwrite it
  result = run("back " + stash.string());
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("fuzz/corpus exists here"));
  EXPECT_FALSE(fs::exists(root / "docs/results"));  // refused before anything moved
  fs::remove(root / "fuzz/corpus");
  result = run("back " + stash.string());
  ASSERT_EQ(result.status, 0) << result.output;
  for (const auto& folder : folders) EXPECT_EQ(read_text_file((root / folder / "file").string()), folder);
  EXPECT_TRUE(fs::is_empty(stash));

  fs::remove_all(root / "tests/data");
  result = run("out " + stash.string());
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("no tests/data here"));
  EXPECT_TRUE(fs::exists(root / "docs/results/file"));  // nothing moved
}

}  // namespace
}  // namespace vltune
