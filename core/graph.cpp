// core/graph.cpp - AttrValue helpers.
#include "core/graph.h"

#include <sstream>

namespace tapeflow {

const char* attrKindName(AttrKind k) {
  switch (k) {
    case AttrKind::Int: return "int";
    case AttrKind::Float: return "float";
    case AttrKind::String: return "string";
    case AttrKind::Ints: return "list of ints";
    case AttrKind::Floats: return "list of floats";
  }
  return "?";
}

AttrValue AttrValue::ofInt(int64_t v) {
  AttrValue a;
  a.kind = AttrKind::Int;
  a.i = v;
  return a;
}
AttrValue AttrValue::ofFloat(float v) {
  AttrValue a;
  a.kind = AttrKind::Float;
  a.f = v;
  return a;
}
AttrValue AttrValue::ofString(std::string v) {
  AttrValue a;
  a.kind = AttrKind::String;
  a.s = std::move(v);
  return a;
}
AttrValue AttrValue::ofInts(std::vector<int64_t> v) {
  AttrValue a;
  a.kind = AttrKind::Ints;
  a.ints = std::move(v);
  return a;
}
AttrValue AttrValue::ofFloats(std::vector<float> v) {
  AttrValue a;
  a.kind = AttrKind::Floats;
  a.floats = std::move(v);
  return a;
}

std::string AttrValue::str() const {
  std::ostringstream os;
  switch (kind) {
    case AttrKind::Int: os << i; break;
    case AttrKind::Float: os << f; break;
    case AttrKind::String: os << '"' << s << '"'; break;
    case AttrKind::Ints:
      os << '[';
      for (size_t k = 0; k < ints.size(); ++k) os << (k ? "," : "") << ints[k];
      os << ']';
      break;
    case AttrKind::Floats:
      os << '[';
      for (size_t k = 0; k < floats.size(); ++k)
        os << (k ? "," : "") << floats[k];
      os << ']';
      break;
  }
  return os.str();
}

}  // namespace tapeflow
