// The job file's JSON, read strictly. Boost.JSON (1.81) already refuses malformed JSON,
// invalid UTF-8 and lone UTF-16 surrogate escapes ("\ud800"), but it keeps the last of two
// equal keys without a word and lets "\u0000" into strings, where every C API that later
// sees the path (open, stat, remove) stops at the NUL: "store": "/data/run\u0000" would
// have been checked and removed as "/data/run". So before the value is built, one pass
// over the text (a SAX handler that tracks the key path) refuses, naming the key path:
//   chunks.time: is given twice (again at line 5, column 3)
//   store: contains a NUL byte
//   add_attrs: a key contains a NUL byte
// No string anywhere in a job file, key or value, may hold a NUL: the job's paths and
// names all reach C APIs or file names, and nothing else in a job needs one.
#pragma once

#include <string_view>

#include <boost/json/value.hpp>

#include "zpmpi/model/result.hpp"

namespace zpmpi::app {

/// The parsed document, or a kUsage error: "line L, column C: malformed JSON (<reason>)",
/// or "<key path>: <problem>" as above.
Result<boost::json::value> parse_strict_json(std::string_view text);

}  // namespace zpmpi::app
