#include "cli/error_report.h"

#include <cxxabi.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <ios>
#include <memory>
#include <new>
#include <regex>
#include <system_error>
#include <typeinfo>

#include "core/error.h"

namespace vltune::cli {

namespace {
std::string type_name(const std::exception& e) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? name.get() : typeid(e).name();
}
}  // namespace

std::string one_line(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const char ch = c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
    if (ch == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += ch;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string describe_exception(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return e.what();
  } catch (const nlohmann::json::exception& e) {
    return one_line(cat("[json] ", e.what()));
  } catch (const YAML::Exception& e) {
    return one_line(cat("[yaml] ", e.what()));
  } catch (const std::regex_error& e) {
    return one_line(cat("[regex] not a usable regular expression: ", e.what()));
  } catch (const std::bad_alloc& e) {
    return one_line(cat("out of memory (", type_name(e), "): an input asked for more memory than is available"));
  } catch (const std::ios_base::failure& e) {
    return one_line(cat("[io] ", e.what()));
  } catch (const std::filesystem::filesystem_error& e) {
    return one_line(cat("[io] ", e.what()));
  } catch (const std::system_error& e) {
    return one_line(cat("[system] ", e.what()));
  } catch (const std::exception& e) {  // std::out_of_range, cv::Exception, ...: a check vltune lacks
    return one_line(cat("unexpected ", type_name(e), ": ", e.what(), " (please report this input)"));
  } catch (...) {
    return "an unknown exception (please report this input)";
  }
}

}  // namespace vltune::cli
