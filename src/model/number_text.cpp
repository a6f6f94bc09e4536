#include "zpmpi/model/number_text.hpp"

#include <cstdio>

namespace zpmpi::model {

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace zpmpi::model
