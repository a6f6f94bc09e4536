#include "zpmpi/model/text.hpp"

namespace zpmpi::model {

std::string text_typestr(const TextType& t) {
  return t.kind == TextType::Kind::utf8 ? "|O" : "|S" + std::to_string(t.width);
}

}  // namespace zpmpi::model
