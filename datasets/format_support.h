// What every format reader needs: reading the annotation file, resolving media paths, and turning
// (question, answer) pairs into turns with the right visual placeholder.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/json_view.h"  // read_json_file, for whole-document formats
#include "datasets/sample.h"

namespace vltune::datasets {

// Each non-empty line of a JSON Lines file, parsed; malformed lines go to `bad` as "path:line".
std::vector<std::pair<std::string, nlohmann::json>> read_json_lines(const std::string& path, BadSamples& bad);

// The folder media paths resolve against: spec.media_root, else the annotation file's folder.
std::string media_root(const DatasetSpec& spec);

// `relative` resolved against `root`; "" (and a report to `bad`) when the file does not exist.
std::string resolve_media(const std::string& root, const std::string& relative, const std::string& where,
                          BadSamples& bad);

// The user text with "<image>\n" (one per image) or "<video>\n" put in front when the text does not
// place them itself.
std::string with_placeholders(const std::string& text, std::size_t images, bool video);

// True when every field of `record` is in `known`; otherwise reports the first other one to `bad`
// ("unknown field 'x' (expected a, b)") and returns false.
bool only_known_fields(const nlohmann::json& record, const std::vector<std::string>& known, const std::string& where,
                       BadSamples& bad);

// A string field of `record`, or "" when absent; throws-or-reports when present but not a string.
std::string string_field(const nlohmann::json& record, const std::string& key, const std::string& where,
                         BadSamples& bad, bool* ok);

}  // namespace vltune::datasets
