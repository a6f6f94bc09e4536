// Numbers in messages, spelled as C's "%g" does (and close to Python's repr for the labels
// users type): 0.25, 1e+20, 3, nan.
#pragma once

#include <string>

namespace zpmpi::model {

/// `v` with up to 6 significant digits: "%g".
std::string number_text(double v);

}  // namespace zpmpi::model
