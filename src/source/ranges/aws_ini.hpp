// The AWS shared files (~/.aws/credentials, ~/.aws/config) as botocore reads them: INI
// sections of "name = value" lines; '#' and ';' start comment lines; an indented line
// continues the previous key (a nested block such as "s3 =\n  endpoint_url = ..." is
// skipped: only top-level keys are read). Private to src/source.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "zpmpi/model/result.hpp"

namespace zpmpi::source {

/// section name -> key -> value, as written (the config file's "[profile x]" is kept as is).
using IniSections = std::map<std::string, std::map<std::string, std::string>>;

/// Parses the text of one file; `path` names it in errors (a line that is neither a
/// section, a key nor a comment: "~/.aws/config: line 3: not 'name = value'").
Result<IniSections> parse_aws_ini(std::string_view text, const std::string& path);

/// The file at `path` parsed; nullopt when it does not exist (an unreadable one is an error).
Result<std::optional<IniSections>> read_aws_ini(const std::string& path);

}  // namespace zpmpi::source
