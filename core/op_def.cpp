// core/op_def.cpp - the OpDef builder and the registry table.
#include "core/op_def.h"

#include <algorithm>
#include <cctype>

namespace tapeflow {

OpDef::OpDef(std::string name) : name_(std::move(name)) {}

OpDef& OpDef::input(std::string name, std::optional<DType> dtype) {
  inputs_.push_back({std::move(name), false, true, dtype});
  return *this;
}

OpDef& OpDef::optionalInput(std::string name) {
  inputs_.push_back({std::move(name), true, true, std::nullopt});
  return *this;
}

OpDef& OpDef::constInput(std::string name, std::optional<DType> dtype) {
  inputs_.push_back({std::move(name), false, false, dtype});
  return *this;
}

OpDef& OpDef::variadic(int min) {
  variadicMin_ = min;
  return *this;
}

OpDef& OpDef::output(std::string name) {
  outputs_.push_back({std::move(name), false, true, std::nullopt});
  return *this;
}

OpDef& OpDef::attr(std::string name, AttrValue defaultValue, std::string doc) {
  AttrDef a;
  a.name = std::move(name);
  a.kind = defaultValue.kind;
  a.defaultValue = std::move(defaultValue);
  a.doc = std::move(doc);
  attrs_.push_back(std::move(a));
  return *this;
}

OpDef& OpDef::requiredAttr(std::string name, AttrKind kind, std::string doc) {
  AttrDef a;
  a.name = std::move(name);
  a.kind = kind;
  a.required = true;
  a.defaultValue.kind = kind;
  a.doc = std::move(doc);
  attrs_.push_back(std::move(a));
  return *this;
}

OpDef& OpDef::choices(std::vector<std::string> allowed) {
  if (!attrs_.empty()) attrs_.back().choices = std::move(allowed);
  return *this;
}

OpDef& OpDef::shapes(ShapeFn fn) { shapeFn_ = std::move(fn); return *this; }
OpDef& OpDef::prepare(PrepareFn fn) { prepareFn_ = std::move(fn); return *this; }
OpDef& OpDef::forward(ExecFn fn) { forwardFn_ = std::move(fn); return *this; }
OpDef& OpDef::backward(GradFn fn) { backwardFn_ = std::move(fn); return *this; }
OpDef& OpDef::flops(FlopsFn fn) { flopsFn_ = std::move(fn); return *this; }
OpDef& OpDef::samples(SamplesFn fn) { samplesFn_ = std::move(fn); return *this; }
OpDef& OpDef::doc(std::string text) { doc_ = std::move(text); return *this; }
OpDef& OpDef::stateInputs(StateInputsFn fn) {
  stateInputsFn_ = std::move(fn);
  return *this;
}

std::vector<int> OpDef::stateInputsOf(
    const std::map<std::string, AttrValue>& attrs, int numInputs) const {
  if (!stateInputsFn_) return {};
  std::vector<int> out;
  for (int i : stateInputsFn_(attrs, numInputs))
    if (i >= 0 && i < numInputs) out.push_back(i);
  return out;
}

OpDef& OpDef::nonDifferentiable(std::string reason) {
  differentiable_ = false;
  nonDiffReason_ = std::move(reason);
  return *this;
}

OpDef& OpDef::fusesAsPostOp(PostOpFn fn) {
  postOpFn_ = std::move(fn);
  return *this;
}

OpDef& OpDef::acceptsPostOps() {
  acceptsPostOps_ = true;
  return *this;
}

const AttrDef* OpDef::findAttr(const std::string& name) const {
  for (const AttrDef& a : attrs_)
    if (a.name == name) return &a;
  return nullptr;
}

int OpDef::minInputs() const {
  int n = 0;
  for (const PortDef& p : inputs_)
    if (!p.optional) ++n;
  if (isVariadic()) n += variadicMin_ - 1;
  return n;
}

int OpDef::maxInputs() const {
  return isVariadic() ? -1 : static_cast<int>(inputs_.size());
}

const PortDef& OpDef::inputPort(int i) const {
  if (i >= static_cast<int>(inputs_.size())) return inputs_.back();
  return inputs_[i];
}

void OpRegistry::add(const OpDef& def) { ops_[def.name()] = &def; }

const OpDef* OpRegistry::find(const std::string& name) const {
  auto it = ops_.find(name);
  return it == ops_.end() ? nullptr : it->second;
}

namespace {
// Optimal string alignment distance (Levenshtein plus adjacent
// transpositions), case-insensitive: "Rleu" is one edit from "Relu".
size_t editDistance(const std::string& a, const std::string& b) {
  auto low = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = low(a[i - 1]) != low(b[j - 1]);
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && low(a[i - 1]) == low(b[j - 2]) && low(a[i - 2]) == low(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}
}  // namespace

std::vector<std::string> OpRegistry::closest(const std::string& name,
                                             size_t n) const {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& [known, def] : ops_)
    scored.emplace_back(editDistance(name, known), known);
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < n; ++i)
    out.push_back(scored[i].second);
  return out;
}

}  // namespace tapeflow
