// core/op_def.cpp - the OpDef builder and the registry table.
#include "core/op_def.h"

#include "core/suggest.h"

#include <algorithm>

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

OpDef& OpDef::variadicOutputs(int min, OutputCountFn count) {
  variadicOutMin_ = min;
  outputCountFn_ = std::move(count);
  return *this;
}

int OpDef::minOutputs() const {
  int n = static_cast<int>(outputs_.size());
  return hasVariadicOutputs() ? n - 1 + variadicOutMin_ : n;
}

int OpDef::maxOutputs() const {
  return hasVariadicOutputs() ? -1 : static_cast<int>(outputs_.size());
}

int OpDef::outputCountFor(const std::map<std::string, AttrValue>& attrs) const {
  if (!hasVariadicOutputs()) return static_cast<int>(outputs_.size());
  return outputCountFn_ ? outputCountFn_(attrs) : -1;
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

OpDef& OpDef::pointwise(PointwiseFn fn) {
  pointwiseFn_ = std::move(fn);
  return *this;
}

OpDef& OpDef::prefersChannelsLast(ChannelsLastFn fn) {
  channelsLastFn_ = std::move(fn);
  return *this;
}

OpDef& OpDef::acceptsPostOps() {
  acceptsPostOps_ = true;
  return *this;
}

OpDef& OpDef::foldsRelu() {
  foldsRelu_ = true;
  return *this;
}

OpDef& OpDef::readsGradRows() {
  readsGradRows_ = true;
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

OpDef& OpDef::backwardReads(std::vector<std::string> ports) {
  backwardReads_ = std::move(ports);
  return *this;
}

bool OpDef::backwardReadsInput(int i) const {
  if (!backwardReads_) return true;
  const std::string& name = inputPort(i).name;
  return std::find(backwardReads_->begin(), backwardReads_->end(), name) !=
         backwardReads_->end();
}

bool OpDef::backwardReadsOutput(int i) const {
  if (!backwardReads_ || outputs_.empty()) return true;
  const std::string& name = outputs_[std::min(size_t(i), outputs_.size() - 1)].name;
  return std::find(backwardReads_->begin(), backwardReads_->end(), name) !=
         backwardReads_->end();
}

void OpRegistry::add(const OpDef& def) { ops_[def.name()] = &def; }

const OpDef* OpRegistry::find(const std::string& name) const {
  auto it = ops_.find(name);
  return it == ops_.end() ? nullptr : it->second;
}

std::vector<std::string> OpRegistry::closest(const std::string& name,
                                             size_t n) const {
  std::vector<std::string> known;
  for (const auto& entry : ops_) known.push_back(entry.first);
  return closestNames(name, known, n);
}

}  // namespace tapeflow
