// What every format reader needs: reading the annotation file, resolving media paths, and turning
// (question, answer) pairs into turns with the right visual placeholder.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json_view.h"  // read_json_file, for whole-document formats
#include "datasets/sample.h"

namespace vltune::datasets {

// Each non-empty line of a JSON Lines file, parsed; malformed lines go to `bad` as "path:line".
std::vector<std::pair<std::string, nlohmann::json>> read_json_lines(const std::string& path, BadSamples& bad);

// Where a dataset's media may be: `root` (spec.media_root, else the annotation file's folder),
// which relative paths resolve against, and the folders spec.allow_media_from adds. Media must
// resolve (symlinks followed) inside one of `allowed`, the canonical forms of all of them.
struct MediaRoots {
  std::string root;
  std::vector<std::string> allowed;
};
MediaRoots media_roots(const DatasetSpec& spec);

// `path` resolved against the root; "" (and a report to `bad`) when the file does not exist, or
// when it (an absolute path, a "../", a symlink) leaves the allowed folders.
std::string resolve_media(const MediaRoots& roots, const std::string& path, const std::string& where, BadSamples& bad);

// What `read` returns for one record (a std::optional<Sample>, nullopt when it reported the
// record itself), with a type error inside it (JsonView's) made a bad sample at `where` naming the
// key, "key 'conversations[1].from': expected a string, found 5", and {} returned.
template <class Read>
auto read_record(const std::string& where, BadSamples& bad, Read&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const JsonTypeError& e) {
    bad.report(where, e.detail());
    return {};
  }
}

// The samples of `spec.path`, a JSON array of records (else an error naming the file and saying
// what it should be, `expected`: "a llava dataset is a JSON array of samples"), each read by
// `read_one(record, where)` as read_record does: what it rejects, or a key of the wrong type, is
// reported to `bad` as "path[i]" and left out.
template <class ReadOne>
std::vector<Sample> read_json_array(const DatasetSpec& spec, const std::string& expected, BadSamples& bad, ReadOne&& read_one) {
  const auto doc = read_json_file(spec.path);
  if (!doc.is_array()) fail("[dataset] ", spec.path, ": ", expected);
  std::vector<Sample> samples;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const std::string where = cat(spec.path, "[", i, "]");
    const JsonView record(doc[i], where);
    if (auto sample = read_record(where, bad, [&] { return read_one(record, where); })) samples.push_back(std::move(*sample));
  }
  return samples;
}

// Appends one conversation turn to `sample` by its role's name (user or human, assistant or gpt,
// system): the first user turn gets the visual placeholders (`placed` records it), an assistant
// turn's text is a reference. False, reported as `field` ("from", "role") naming the record, for
// another role or an empty answer.
bool append_turn(Sample& sample, const std::string& role, const std::string& text, bool& placed, const std::string& field,
                 const std::string& where, BadSamples& bad);

// The user text with "<image>\n" (one per image) or "<video>\n" put in front when the text does not
// place them itself.
std::string with_placeholders(const std::string& text, std::size_t images, bool video);

// True when every field of `record` is in `known`; otherwise reports the first other one to `bad`
// ("unknown field 'x' (expected a, b)") and returns false.
bool only_known_fields(const nlohmann::json& record, const std::vector<std::string>& known, const std::string& where,
                       BadSamples& bad);

}  // namespace vltune::datasets
