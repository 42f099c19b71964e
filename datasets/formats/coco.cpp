// COCO captions: {"images": [{"id", "file_name"}], "annotations": [{"image_id", "caption"}]}.
// One sample per caption; each carries all of its image's captions as references (for BLEU,
// CIDEr). The user turn is <image> plus spec.prompt. An image entry with wrongly typed fields is
// reported and left out; so is each annotation that is.
#include "datasets/format_support.h"
#include "datasets/formats/formats.h"

#include <map>

#include "core/error.h"

namespace vltune::datasets {

std::vector<Sample> read_coco(const DatasetSpec& spec, BadSamples& bad) {
  const auto doc = read_json_file(spec.path);
  if (!doc.is_object() || !doc.contains("images") || !doc.contains("annotations"))
    fail("[dataset] ", spec.path, ": a COCO captions file has 'images' and 'annotations'");
  const JsonView root(doc, spec.path);
  const auto images = root.items("images"), annotations = root.items("annotations");  // lists, or a clear error
  const auto roots = media_roots(spec);
  std::map<int64_t, std::string> files;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const std::string where = cat(spec.path, ": images[", i, "]");
    read_record(where, bad, [&] {
      const JsonView image(images[i].raw(), spec.path);  // keys named from the record (where names it)
      image.object();
      files[image.integer("id")] = image.str("file_name");
      return true;
    });
  }
  struct Caption {
    int64_t image_id;
    std::string text;
  };
  std::vector<std::optional<Caption>> captions(annotations.size());
  std::map<int64_t, std::vector<std::string>> references;
  for (std::size_t i = 0; i < annotations.size(); ++i)
    read_record(cat(spec.path, ": annotations[", i, "]"), bad, [&] {
      const JsonView a(annotations[i].raw(), spec.path);
      a.object();
      captions[i] = Caption{a.integer("image_id"), a.str("caption")};
      references[captions[i]->image_id].push_back(captions[i]->text);
      return true;
    });

  std::vector<Sample> samples;
  for (std::size_t i = 0; i < captions.size(); ++i) {
    if (!captions[i]) continue;  // reported above
    const std::string where = cat(spec.path, ": annotations[", i, "]");
    const auto& [image_id, caption] = *captions[i];
    if (caption.empty()) { bad.report(where, "empty answer"); continue; }
    auto file = files.find(image_id);
    if (file == files.end()) { bad.report(where, cat("image_id ", image_id, " is not in 'images'")); continue; }
    const auto path = resolve_media(roots, file->second, where, bad);
    if (path.empty()) continue;
    Sample sample;
    sample.id = cat(image_id, "/", i);
    sample.images = {path};
    sample.turns = {{language::Role::kUser, with_placeholders(spec.prompt, 1, false)}, {language::Role::kAssistant, caption}};
    sample.references = references[image_id];
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace vltune::datasets
