// The AWS shared files' INI dialect; see aws_ini.hpp.
#include "ranges/aws_ini.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace zpmpi::source {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<IniSections> parse_aws_ini(std::string_view text, const std::string& path) {
  IniSections sections;
  std::map<std::string, std::string>* section = nullptr;
  std::size_t number = 0;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    const std::string_view raw = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++number;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (raw.front() == ' ' || raw.front() == '\t') continue;  // a nested block's line
    const std::string where = path + ": line " + std::to_string(number);
    if (line.front() == '[') {
      if (line.back() != ']') return usage_error(where + ": a section header must end with ']'");
      section = &sections[std::string(trim(line.substr(1, line.size() - 2)))];
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return usage_error(where + ": not 'name = value'");
    if (!section) return usage_error(where + ": a key before the first [section]");
    (*section)[std::string(trim(line.substr(0, eq)))] = std::string(trim(line.substr(eq + 1)));
  }
  return sections;
}

Result<std::optional<IniSections>> read_aws_ini(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<IniSections>();
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return usage_error(path + ": cannot read the file");
  ZPMPI_ASSIGN_OR_RETURN(IniSections s, parse_aws_ini(text.str(), path));
  return std::optional<IniSections>(std::move(s));
}

}  // namespace zpmpi::source
