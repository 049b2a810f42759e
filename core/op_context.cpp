// core/op_context.cpp - the contexts ops see, backed by Program and a plan
// (through PlanAccess).
#include "core/op_context.h"

#include "core/dnnl_context.h"
#include "core/program.h"

namespace tapeflow {

NodeView::NodeView(const Node& node, const OpDef& def,
                   const std::map<std::string, AttrValue>& attrs,
                   std::vector<Dims> inputDims, std::vector<DType> inputDTypes)
    : node_(&node),
      def_(&def),
      attrs_(&attrs),
      inDims_(std::move(inputDims)),
      inTypes_(std::move(inputDTypes)) {}

const AttrValue& NodeView::attrValue(const std::string& name,
                                     AttrKind kind) const {
  auto it = attrs_->find(name);
  TAPEFLOW_ASSERT(it != attrs_->end() && "attribute not declared in OpDef");
  if (it == attrs_->end())
    throw AttrError(node_->loc, node_->name, node_->op,
                    "internal: attribute '" + name + "' is not declared");
  TAPEFLOW_ASSERT(it->second.kind == kind && "attribute kind mismatch");
  (void)kind;
  return it->second;
}

int64_t NodeView::attrInt(const std::string& name) const {
  return attrValue(name, AttrKind::Int).i;
}
float NodeView::attrFloat(const std::string& name) const {
  return attrValue(name, AttrKind::Float).f;
}
const std::string& NodeView::attrString(const std::string& name) const {
  return attrValue(name, AttrKind::String).s;
}
const std::vector<int64_t>& NodeView::attrInts(const std::string& name) const {
  return attrValue(name, AttrKind::Ints).ints;
}
const std::vector<float>& NodeView::attrFloats(const std::string& name) const {
  return attrValue(name, AttrKind::Floats).floats;
}
bool NodeView::attrGiven(const std::string& name) const {
  return node_->attrs.count(name) > 0;
}

void NodeView::fail(const std::string& message) const {
  throw ShapeError(node_->loc, node_->name, node_->op, message);
}

void NodeView::failAttr(const std::string& attr,
                        const std::string& message) const {
  auto it = node_->attrs.find(attr);
  const SourceLoc& loc =
      it != node_->attrs.end() && it->second.loc.line > 0 ? it->second.loc
                                                          : node_->loc;
  throw AttrError(loc, node_->name, node_->op,
                  "attribute '" + attr + "': " + message);
}

void NodeView::unsupported(const std::string& message) const {
  throw UnsupportedError(node_->loc, node_->name, node_->op, message);
}

std::string NodeView::describeInput(int i) const {
  return "input '" + def_->inputPort(i).name + "' " + dimsStr(inDims_.at(i));
}

void ShapeContext::setOutput(int i, Dims dims, DType dtype) {
  if (int(outDims_.size()) <= i) {
    outDims_.resize(i + 1);
    outTypes_.resize(i + 1, DType::F32);
  }
  outDims_[i] = std::move(dims);
  outTypes_[i] = dtype;
}

// ---------------------------------------------------------------- Prepare

PrepareContext::PrepareContext(PlanAccess& plan, int node, const NodeView& view)
    : NodeView(view), plan_(&plan), node_(node) {}

Mode PrepareContext::mode() const { return plan_->mode(); }
bool PrepareContext::runsBackward() const {
  return plan_->nodeRunsBackward(node_);
}
bool PrepareContext::needsGrad(int i) const {
  if (!plan_->nodeRunsBackward(node_)) return false;
  if (!def().inputPort(i).differentiable) return false;
  return plan_->valueNeedsGrad(plan_->program().nodeInputs(node_).at(i));
}
const Dims& PrepareContext::outputDims(int i) const {
  return plan_->valueDims(plan_->program().nodeOutputs(node_).at(i));
}
DType PrepareContext::outputDType(int i) const {
  return plan_->program().value(plan_->program().nodeOutputs(node_).at(i)).dtype;
}
const dnnl::memory::desc& PrepareContext::inputDesc(int i) const {
  return plan_->valueDesc(plan_->program().nodeInputs(node_).at(i));
}
void PrepareContext::setOutputDesc(int i, const dnnl::memory::desc& md) {
  plan_->valueDesc(plan_->program().nodeOutputs(node_).at(i)) = md;
}
const dnnl::memory::desc& PrepareContext::outputDesc(int i) const {
  return plan_->valueDesc(plan_->program().nodeOutputs(node_).at(i));
}
void PrepareContext::setGradInputDesc(int i, const dnnl::memory::desc& md) {
  plan_->gradInputDesc(node_, i) = md;
}
bool PrepareContext::gradInputAsView(int i, const dnnl::memory::desc& part) {
  return needsGrad(i) && plan_->offerGradView(node_, i, part);
}
const dnnl::post_ops& PrepareContext::postOps() const {
  return plan_->nodePostOps(node_);
}
bool PrepareContext::hasPostOps() const { return plan_->nodeHasPostOps(node_); }
bool PrepareContext::isFused() const { return plan_->nodeFused(node_); }
dnnl::engine& PrepareContext::engine() const { return cpuEngine(); }
dnnl::memory PrepareContext::scratch(const dnnl::memory::desc& md) {
  return plan_->scratchMemory(md);
}
void PrepareContext::countReorder() { plan_->mutableNodeInfo(node_).reorders++; }
void PrepareContext::noteImpl(const std::string& what, const std::string& impl) {
  std::string& s = plan_->mutableNodeInfo(node_).impl;
  s += (s.empty() ? "" : ", ") + what + "=" + impl;
}
void PrepareContext::setState(std::shared_ptr<void> state) {
  plan_->setNodeState(node_, std::move(state));
}

// ---------------------------------------------------------------- Exec

ExecContext::ExecContext(PlanAccess& plan, int node) : plan_(&plan), node_(node) {}

dnnl::memory& ExecContext::input(int i) const {
  return plan_->valueMemory(plan_->program().nodeInputs(node_)[i]);
}
dnnl::memory& ExecContext::output(int i) const {
  return plan_->valueMemory(plan_->program().nodeOutputs(node_)[i]);
}
dnnl::stream& ExecContext::stream() const { return cpuStream(); }
bool ExecContext::training() const { return plan_->mode() == Mode::Training; }
int ExecContext::numInputs() const {
  return int(plan_->program().nodeInputs(node_).size());
}
void* ExecContext::rawState() const { return plan_->nodeState(node_); }
void ExecContext::fail(const std::string& message) const {
  const Node& node = plan_->program().graph().nodes[node_];
  throw DataError(node.loc, node.name, node.op, message);
}

uint64_t ExecContext::randomSeed() const { return plan_->nodeSeed(node_); }

bool GradContext::needsGrad(int i) const {
  return plan_->writesGradInput(node_, i);
}
dnnl::memory& GradContext::gradOutput(int i) const {
  return plan_->gradMemory(plan_->program().nodeOutputs(node_)[i]);
}
dnnl::memory& GradContext::gradInput(int i) const {
  return plan_->gradInputMemory(node_, i);
}

// ---------------------------------------------------------------- helpers

dnnl::memory::desc plainDesc(const Dims& dims, DType dtype) {
  dnnl::memory::dims d(dims.begin(), dims.end());
  if (d.empty()) d = {1};
  dnnl::memory::dims strides(d.size(), 1);
  for (int i = int(d.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * d[i + 1];
  auto dt = dtype == DType::F32 ? dnnl::memory::data_type::f32
                                : dnnl::memory::data_type::s32;
  return dnnl::memory::desc(d, dt, strides);
}

bool isPlain(const dnnl::memory::desc& md) {
  const auto& c = md.data;
  if (c.format_kind != dnnl_blocked) return false;
  if (c.format_desc.blocking.inner_nblks != 0) return false;
  int64_t expect = 1;
  for (int i = c.ndims - 1; i >= 0; --i) {
    if (c.dims[i] != 1 && c.format_desc.blocking.strides[i] != expect)
      return false;
    expect *= c.dims[i];
  }
  return true;
}

}  // namespace tapeflow
