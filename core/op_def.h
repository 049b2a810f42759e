// core/op_def.h - what an op is: its schema (ports, attributes), and the four
// phases every op implements (inferShapes, prepare, forward, backward).
//
// An op file builds one OpDef with the fluent builder below and lists it in
// ops/op_list.def. The contexts passed to each phase are defined in
// core/op_context.h.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/graph.h"
#include "core/shape.h"

namespace tapeflow {

class ShapeContext;
class PrepareContext;
class ExecContext;
class GradContext;

/// One input or output port.
struct PortDef {
  std::string name;
  bool optional = false;        ///< may be omitted (e.g. bias)
  bool differentiable = true;   ///< gets a gradient (false: labels, indices)
  std::optional<DType> dtype;   ///< required dtype; nullopt: F32
};

/// One attribute in an op's schema.
struct AttrDef {
  std::string name;
  AttrKind kind = AttrKind::Int;
  bool required = false;
  AttrValue defaultValue;              ///< used when not required and absent
  std::vector<std::string> choices;    ///< allowed values of a String attr
  std::string doc;
};

/// An activation that a producer (Conv2D, Linear) can apply as a oneDNN
/// post-op instead of running it as a separate primitive.
struct PostOpSpec {
  dnnl::algorithm alg = dnnl::algorithm::eltwise_relu;
  float alpha = 0.f;
  float beta = 0.f;
  float scale = 1.f;  ///< multiplies the post-op's result
};

/// The elementwise math of an op the plan may fuse with its neighbours
/// into one loop (core/chain_fusion.h): an activation of src, or a binary
/// op of which one input may be broadcast along channels (or a scalar).
enum class PointwiseKind {
  Relu, LeakyRelu, Elu, Sigmoid, Tanh, ScaledTanh,  // unary: src -> dst
  Add, Sub, Mul, Div                                // binary: a, b -> c
};

/// One pointwise op with its constants: LeakyRelu and Elu read alpha;
/// ScaledTanh computes alpha * tanh(beta * x).
struct PointwiseOp {
  PointwiseKind kind = PointwiseKind::Relu;
  float alpha = 0.f;
  float beta = 0.f;
};

/// A sample configuration the registry-driven tests run for every op.
struct SampleCase {
  std::string label;                       ///< e.g. "3x5x7x7_stride2"
  std::map<std::string, AttrValue> attrs;  ///< attributes to set
  std::vector<Dims> inputs;                ///< one entry per input port
  std::vector<DType> dtypes;               ///< empty: all F32
  int intRange = 10;          ///< I32 inputs are drawn from [0, intRange)
  float low = -1.f, high = 1.f;  ///< F32 inputs are drawn from [low, high)
  float kink = 0.f;           ///< skip finite differences within kinkRange
  float kinkRange = -1.f;     ///< of kink (negative: no kink)
  float step = 1e-2f;         ///< finite-difference step
  float tolerance = 1e-3f;    ///< relative to max(|analytic|,|numeric|,1)
  bool distinctInputs = false;  ///< keep inputs apart (max pooling ties)
};

using ShapeFn = std::function<void(ShapeContext&)>;
using PrepareFn = std::function<void(PrepareContext&)>;
using ExecFn = std::function<void(ExecContext&)>;
using GradFn = std::function<void(GradContext&)>;
using FlopsFn = std::function<int64_t(const ShapeContext&)>;
/// Returns the post-op chain equivalent to the op (empty: cannot fuse).
using PostOpFn =
    std::function<std::vector<PostOpSpec>(const ShapeContext&)>;
/// The op's elementwise math for the node (nullopt: not fusable this way).
using PointwiseFn =
    std::function<std::optional<PointwiseOp>(const ShapeContext&)>;
using SamplesFn = std::function<std::vector<SampleCase>()>;
/// True when the op would convert input `port` (of the node's dims and
/// attributes) to channels last (nhwc) if it arrived in another layout.
using ChannelsLastFn = std::function<bool(const ShapeContext&, int port)>;
/// The number of outputs a node's attributes (defaults applied) imply; -1
/// when they imply none (any count from the minimum on).
using OutputCountFn = std::function<int(const std::map<std::string, AttrValue>& attrs)>;
/// Inputs the op updates in place (running statistics), given the node's
/// attributes (defaults applied) and its input count.
using StateInputsFn = std::function<std::vector<int>(
    const std::map<std::string, AttrValue>& attrs, int numInputs)>;

/// The definition of one op type. Built once, immutable afterwards.
class OpDef {
 public:
  explicit OpDef(std::string name);

  /// Declares the next input port.
  OpDef& input(std::string name, std::optional<DType> dtype = std::nullopt);
  /// Declares an optional input (may only be followed by optional inputs).
  OpDef& optionalInput(std::string name);
  /// Declares an input that receives no gradient (labels, indices).
  OpDef& constInput(std::string name,
                    std::optional<DType> dtype = std::nullopt);
  /// Makes the last input variadic: it may repeat, at least `min` times.
  OpDef& variadic(int min);
  /// Declares the next output port.
  OpDef& output(std::string name);
  /// Makes the last output variadic: a node lists at least `min` outputs,
  /// each a value of its own (Split); `count` says how many its attributes
  /// imply.
  OpDef& variadicOutputs(int min, OutputCountFn count = nullptr);
  /// An optional attribute with a default.
  OpDef& attr(std::string name, AttrValue defaultValue, std::string doc = "");
  /// A required attribute.
  OpDef& requiredAttr(std::string name, AttrKind kind, std::string doc = "");
  /// Restricts the last String attribute to these values.
  OpDef& choices(std::vector<std::string> allowed);

  OpDef& shapes(ShapeFn fn);
  OpDef& prepare(PrepareFn fn);
  OpDef& forward(ExecFn fn);
  OpDef& backward(GradFn fn);
  /// Declares that the op has no gradient, and why.
  OpDef& nonDifferentiable(std::string reason);
  /// Forward FLOPs for the shapes in the context (one multiply-add = 2).
  OpDef& flops(FlopsFn fn);
  /// This op can fold into its producer as a post-op (activations).
  OpDef& fusesAsPostOp(PostOpFn fn);
  /// This op applies post-ops given by PrepareContext::postOps().
  OpDef& acceptsPostOps();
  /// This op applies a folded Relu itself (BatchNorm: fuse_norm_relu):
  /// forward writes the Relu's output and backward takes the Relu's output
  /// gradient, so the Relu runs neither forward nor backward.
  /// PrepareContext::hasPostOps() says when one is folded.
  OpDef& foldsRelu();
  /// Backward reads the gradient of output 0 as rows (core/row_view.h):
  /// in the output's layout or in any view rowViewOf maps onto it. The
  /// plan may then make that gradient a part of a consumer's output
  /// gradient (PrepareContext::gradInputAsView) rather than a copy.
  OpDef& readsGradRows();
  /// This op is elementwise math the plan may fuse into a chain.
  OpDef& pointwise(PointwiseFn fn);
  /// The forward values the op's backward reads: the input and output
  /// ports named (a variadic port: all its repeats); any other input or
  /// output buffer may be reused once the forward pass has read it
  /// (core/plan_memory.cpp). Undeclared: backward may read every input and
  /// output. Workspaces and state kept by the op are not ports.
  OpDef& backwardReads(std::vector<std::string> ports);
  /// The op runs on an nhwc input where `fn` says so: a producer that can
  /// write nhwc at no cost (a fused chain) hands it over in nhwc.
  OpDef& prefersChannelsLast(ChannelsLastFn fn);
  /// Sample configurations for the registry-driven tests.
  OpDef& samples(SamplesFn fn);
  /// One-line description shown by `tapeflow ops`.
  OpDef& doc(std::string text);
  /// Declares inputs the op updates in place (running statistics): they
  /// must be params declared `constant: true`, and count as buffers.
  OpDef& stateInputs(StateInputsFn fn);

  const std::string& name() const { return name_; }
  const std::vector<PortDef>& inputs() const { return inputs_; }
  const std::vector<PortDef>& outputs() const { return outputs_; }
  const std::vector<AttrDef>& attrs() const { return attrs_; }
  const AttrDef* findAttr(const std::string& name) const;
  int minInputs() const;
  /// -1 when variadic.
  int maxInputs() const;
  bool isVariadic() const { return variadicMin_ >= 0; }
  bool hasVariadicOutputs() const { return variadicOutMin_ >= 0; }
  int minOutputs() const;
  /// -1 when variadic.
  int maxOutputs() const;
  /// The outputs a node with these attributes must list, -1 for any count
  /// between minOutputs() and maxOutputs().
  int outputCountFor(const std::map<std::string, AttrValue>& attrs) const;
  bool isDifferentiable() const { return differentiable_; }
  bool acceptsPostOpsFlag() const { return acceptsPostOps_; }
  bool foldsReluFlag() const { return foldsRelu_; }
  bool readsGradRowsFlag() const { return readsGradRows_; }
  const std::string& nonDifferentiableReason() const { return nonDiffReason_; }
  const std::string& docText() const { return doc_; }
  /// Port i, resolving variadic repeats to the last declared port.
  const PortDef& inputPort(int i) const;
  /// Whether backward may read input i or output i (see backwardReads).
  bool backwardReadsInput(int i) const;
  bool backwardReadsOutput(int i) const;
  /// The ports given to backwardReads (nullopt: undeclared, all).
  const std::optional<std::vector<std::string>>& backwardReadPorts() const {
    return backwardReads_;
  }

  const ShapeFn& shapeFn() const { return shapeFn_; }
  const PrepareFn& prepareFn() const { return prepareFn_; }
  const ExecFn& forwardFn() const { return forwardFn_; }
  const GradFn& backwardFn() const { return backwardFn_; }
  const FlopsFn& flopsFn() const { return flopsFn_; }
  const PostOpFn& postOpFn() const { return postOpFn_; }
  const PointwiseFn& pointwiseFn() const { return pointwiseFn_; }
  const SamplesFn& samplesFn() const { return samplesFn_; }
  const ChannelsLastFn& channelsLastFn() const { return channelsLastFn_; }
  /// The inputs a node with these attributes updates in place (none when
  /// the op declares no stateInputs).
  std::vector<int> stateInputsOf(const std::map<std::string, AttrValue>& attrs,
                                 int numInputs) const;

 private:
  std::string name_;
  std::vector<PortDef> inputs_;
  std::vector<PortDef> outputs_;
  std::vector<AttrDef> attrs_;
  int variadicMin_ = -1;
  int variadicOutMin_ = -1;
  OutputCountFn outputCountFn_;
  bool differentiable_ = true;
  bool acceptsPostOps_ = false;
  bool foldsRelu_ = false;
  bool readsGradRows_ = false;
  std::optional<std::vector<std::string>> backwardReads_;
  std::string nonDiffReason_;
  std::string doc_;
  ShapeFn shapeFn_;
  PrepareFn prepareFn_;
  ExecFn forwardFn_;
  GradFn backwardFn_;
  FlopsFn flopsFn_;
  PostOpFn postOpFn_;
  PointwiseFn pointwiseFn_;
  SamplesFn samplesFn_;
  ChannelsLastFn channelsLastFn_;
  StateInputsFn stateInputsFn_;
};

/// Name -> OpDef table. ops/registry.cpp fills the one used by tapeflow.
class OpRegistry {
 public:
  void add(const OpDef& def);
  /// nullptr when unknown.
  const OpDef* find(const std::string& name) const;
  /// Known names sorted by edit distance to `name` (at most `n`).
  std::vector<std::string> closest(const std::string& name, size_t n) const;
  const std::map<std::string, const OpDef*>& all() const { return ops_; }

 private:
  std::map<std::string, const OpDef*> ops_;
};

}  // namespace tapeflow
