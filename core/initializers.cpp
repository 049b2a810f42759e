// core/initializers.cpp - the initializer table.
#include "core/initializers.h"

namespace tapeflow {

const std::vector<InitializerInfo>& initializers() {
  static const std::vector<InitializerInfo> table = {
      {"zeros", nullptr, InitKind::Zeros, "0"},
      {"ones", nullptr, InitKind::Ones, "1"},
      {"constant", nullptr, InitKind::Constant, "value"},
      {"uniform", nullptr, InitKind::Uniform, "U(low, high)"},
      {"normal", nullptr, InitKind::Normal, "N(mean, stddev^2)"},
      {"xavier_uniform", "glorot_uniform", InitKind::XavierUniform,
       "U(-a, a), a = sqrt(6 / (fan_in + fan_out))"},
      {"xavier_normal", "glorot_normal", InitKind::XavierNormal,
       "N(0, 2 / (fan_in + fan_out))"},
      {"he_uniform", "kaiming_uniform", InitKind::HeUniform,
       "U(-a, a), a = sqrt(6 / fan_in)"},
      {"he_normal", "kaiming_normal", InitKind::HeNormal, "N(0, 2 / fan_in)"},
      {"lecun_uniform", nullptr, InitKind::LecunUniform,
       "U(-2.4 / fan_in, 2.4 / fan_in) (LeCun 1998)"},
  };
  return table;
}

const InitializerInfo* findInitializer(const std::string& name) {
  for (const InitializerInfo& i : initializers())
    if (name == i.name || (i.alias && name == i.alias)) return &i;
  return nullptr;
}

std::string initializerNames() {
  std::string out;
  for (const InitializerInfo& i : initializers())
    out += (out.empty() ? "" : ", ") + std::string(i.name);
  return out;
}

}  // namespace tapeflow
