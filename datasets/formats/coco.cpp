// COCO captions: {"images": [{"id", "file_name"}], "annotations": [{"image_id", "caption"}]}.
// One sample per caption; each carries all of its image's captions as references (for BLEU,
// CIDEr). The user turn is <image> plus spec.prompt.
#include "datasets/format_support.h"
#include "datasets/formats/formats.h"

#include <map>

#include "core/error.h"

namespace vltune::datasets {

std::vector<Sample> read_coco(const DatasetSpec& spec, BadSamples& bad) {
  const auto doc = read_json_file(spec.path);
  if (!doc.is_object() || !doc.contains("images") || !doc.contains("annotations"))
    fail("[dataset] ", spec.path, ": a COCO captions file has 'images' and 'annotations'");
  const auto root = media_root(spec);
  std::map<int64_t, std::string> files;
  for (const auto& image : doc["images"])
    if (image.contains("id") && image.contains("file_name")) files[image["id"].get<int64_t>()] = image["file_name"].get<std::string>();
  std::map<int64_t, std::vector<std::string>> captions;
  for (const auto& a : doc["annotations"])
    if (a.contains("image_id") && a.contains("caption") && a["caption"].is_string())
      captions[a["image_id"].get<int64_t>()].push_back(a["caption"].get<std::string>());

  std::vector<Sample> samples;
  for (std::size_t i = 0; i < doc["annotations"].size(); ++i) {
    const auto& a = doc["annotations"][i];
    const std::string where = cat(spec.path, ": annotations[", i, "]");
    if (!a.contains("image_id") || !a.contains("caption") || !a["caption"].is_string()) {
      bad.report(where, "needs image_id and a caption string");
      continue;
    }
    const int64_t image_id = a["image_id"].get<int64_t>();
    const std::string caption = a["caption"].get<std::string>();
    if (caption.empty()) { bad.report(where, "empty answer"); continue; }
    auto file = files.find(image_id);
    if (file == files.end()) { bad.report(where, cat("image_id ", image_id, " is not in 'images'")); continue; }
    const auto path = resolve_media(root, file->second, where, bad);
    if (path.empty()) continue;
    Sample sample;
    sample.id = cat(image_id, "/", i);
    sample.images = {path};
    sample.turns = {{language::Role::kUser, with_placeholders(spec.prompt, 1, false)}, {language::Role::kAssistant, caption}};
    sample.references = captions[image_id];
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace vltune::datasets
