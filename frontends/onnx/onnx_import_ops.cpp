// frontends/onnx/onnx_import_ops.cpp - one mapping per ONNX op: checks every
// attribute it meets (anything it cannot map exactly is an error naming it)
// and emits the equivalent tapeflow node.
#include "frontends/onnx/onnx_importer.h"

#include <cmath>
#include <numeric>

namespace tapeflow::onnxio::detail {
namespace {

using Ints = std::vector<int64_t>;
using Fn = void (*)(Importer&, const onnx::NodeProto&);

// Outputs beyond the first (e.g. MaxPool's indices) are not mapped.
void onlyFirstOutput(const Importer& imp, const onnx::NodeProto& n) {
  for (int k = 1; k < n.output_size(); ++k)
    if (!n.output(k).empty()) imp.fail(n, "output " + std::to_string(k) + " is not supported");
}

void unary(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {});
  imp.emit(n, n.op_type(), {imp.value(n, 0)});
}

void binary(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {});
  imp.emit(n, n.op_type(), {imp.value(n, 0), imp.value(n, 1)});
}

void alphaUnary(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"alpha"});
  float def = n.op_type() == "Elu" ? 1.f : 0.01f;
  imp.emit(n, n.op_type(), {imp.value(n, 0)}, {{"alpha", AttrValue::ofFloat(a.f("alpha", def))}});
}

/// auto_pad / pads of a 2-D window op -> tapeflow padding (+ pads).
void windowPadding(const Attrs& a, std::map<std::string, AttrValue>& out) {
  std::string autoPad = a.s("auto_pad", "NOTSET");
  if (autoPad == "SAME_UPPER") {
    out["padding"] = AttrValue::ofString("SAME");
    return;
  }
  a.require(autoPad == "NOTSET" || autoPad == "VALID", "auto_pad",
            "use NOTSET, VALID or SAME_UPPER");
  Ints pads = a.ints("pads", {0, 0, 0, 0});
  a.require(pads.size() == 4, "pads", "a 2-D window needs 4 pads");
  if (autoPad == "VALID" || pads == Ints{0, 0, 0, 0}) {
    out["padding"] = AttrValue::ofString("VALID");
  } else {
    out["padding"] = AttrValue::ofString("EXPLICIT");
    out["pads"] = AttrValue::ofInts(pads);
  }
}

void conv(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  std::vector<std::string> ins{imp.value(n, 0), imp.value(n, 1)};
  if (Importer::hasInput(n, 2)) ins.push_back(imp.value(n, 2));
  Dims w = imp.dimsOf(ins[1]);
  if (w.size() != 4) imp.fail(n, "only 2-D convolutions (rank-4 weights) are supported");
  a.require(a.ints("kernel_shape", {w[2], w[3]}) == Ints{w[2], w[3]}, "kernel_shape",
            "differs from the weights' spatial dims");
  std::map<std::string, AttrValue> at;
  at["stride"] = AttrValue::ofInts(a.ints("strides", {1, 1}));
  at["dilation"] = AttrValue::ofInts(a.ints("dilations", {1, 1}));
  at["groups"] = AttrValue::ofInt(a.i("group", 1));
  windowPadding(a, at);
  imp.emit(n, "Conv2D", ins, at);
}

void pool(Importer& imp, const onnx::NodeProto& n) {
  bool avg = n.op_type() == "AveragePool";
  Attrs a = avg ? Attrs(imp, n, {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape",
                                  "pads", "strides"})
                : Attrs(imp, n, {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                                  "storage_order", "strides"});
  onlyFirstOutput(imp, n);
  Ints kernel = a.ints("kernel_shape", {});
  a.require(kernel.size() == 2, "kernel_shape", "only 2-D pooling is supported");
  a.require(a.i("ceil_mode", 0) == 0, "ceil_mode", "only floor rounding (0)");
  a.require(a.ints("dilations", {1, 1}) == Ints{1, 1}, "dilations", "only dense windows");
  a.require(a.i("storage_order", 0) == 0, "storage_order", "only row-major (0)");
  std::map<std::string, AttrValue> at;
  at["kernel"] = AttrValue::ofInts(kernel);
  at["stride"] = AttrValue::ofInts(a.ints("strides", {1, 1}));
  windowPadding(a, at);
  if (avg) at["count_include_pad"] = AttrValue::ofInt(a.i("count_include_pad", 0));
  imp.emit(n, avg ? "AvgPool" : "MaxPool", {imp.value(n, 0)}, at);
}

void globalAveragePool(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {});
  std::string src = imp.value(n, 0);
  Dims d = imp.dimsOf(src);
  if (d.size() != 4) imp.fail(n, "only rank-4 [N,C,H,W] inputs are supported");
  imp.emit(n, "GlobalAveragePool", {src});
}

void batchNorm(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"epsilon", "momentum", "training_mode"});
  a.require(a.i("training_mode", 0) == 0, "training_mode", "only the inference form (0)");
  onlyFirstOutput(imp, n);
  // Running statistics are buffers, not trainable parameters.
  std::vector<std::string> ins{imp.value(n, 0), imp.value(n, 1), imp.value(n, 2),
                               imp.value(n, 3, false), imp.value(n, 4, false)};
  float momentum = a.f("momentum", 0.9f);
  a.require(momentum >= 0.f && momentum <= 1.f, "momentum", "must be in [0, 1]");
  imp.emit(n, "BatchNorm", ins,
           {{"epsilon", AttrValue::ofFloat(a.f("epsilon", 1e-5f))},
            {"momentum", AttrValue::ofFloat(1.f - momentum)}});
}

void gemm(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"alpha", "beta", "transA", "transB"});
  a.require(a.f("alpha", 1.f) == 1.f, "alpha", "only 1");
  a.require(a.f("beta", 1.f) == 1.f, "beta", "only 1");
  a.require(a.i("transA", 0) == 0, "transA", "only 0");
  if (a.i("transB", 0) == 0) {  // B is [K, O]: Linear wants [O, K]
    const ConstTensor* b = imp.constant(n, 1);
    if (!b || b->dims.size() != 2 || !b->isFloat)
      a.require(false, "transB", "0 needs a constant rank-2 B");
    if (imp.mapped(n.input(1)))
      a.require(false, "transB", "0 needs a B no other node uses (it is transposed)");
    ConstTensor& t = imp.mutableConstant(n.input(1));
    const int64_t k = t.dims[0], o = t.dims[1];
    std::vector<float> tr(t.f.size());
    for (int64_t r = 0; r < k; ++r)
      for (int64_t c = 0; c < o; ++c) tr[size_t(c * k + r)] = t.f[size_t(r * o + c)];
    t.f = std::move(tr);
    t.dims = {o, k};
  }
  std::vector<std::string> ins{imp.value(n, 0), imp.value(n, 1)};
  if (Importer::hasInput(n, 2)) {
    const ConstTensor* c = imp.constant(n, 2);
    if (c && c->dims.size() == 2 && c->dims[0] == 1)  // [1, O] -> [O]
      imp.mutableConstant(n.input(2)).dims = {c->dims[1]};
    ins.push_back(imp.value(n, 2));
  }
  imp.emit(n, "Linear", ins);
}

void matMul(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {});
  imp.emit(n, "MatMul", {imp.value(n, 0), imp.value(n, 1)});
}

void axisOp(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"axis"});
  const std::string& op = n.op_type();
  std::vector<std::string> ins;
  for (int k = 0; k < n.input_size(); ++k) ins.push_back(imp.value(n, k));
  int64_t axis = a.i("axis", op == "Concat" ? 1 : (imp.opset() >= 13 ? -1 : 1));
  if (op != "Concat" && imp.opset() < 13) {  // before 13: coerced to 2-D at axis
    int64_t rank = int64_t(imp.dimsOf(ins[0]).size());
    a.require(axis == rank - 1 || axis == -1, "axis",
              "before opset 13 only the last axis has per-axis semantics");
  }
  imp.emit(n, op, ins, {{"axis", AttrValue::ofInt(axis)}});
}

void flatten(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"axis"});
  std::string src = imp.value(n, 0);
  int64_t axis = a.i("axis", 1);
  if (axis == 1) {
    imp.emit(n, "Flatten", {src}, {{"axis", AttrValue::ofInt(1)}});
    return;
  }
  Dims d = imp.dimsOf(src);
  if (axis < 0) axis += int64_t(d.size());
  a.require(axis >= 1 && axis <= int64_t(d.size()), "axis", "only axes after the batch axis");
  int64_t inner = 1;
  for (size_t k = size_t(axis); k < d.size(); ++k) inner *= d[k];
  imp.emit(n, "Reshape", {src}, {{"shape", AttrValue::ofInts({-1, inner})}});
}

void reshape(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"allowzero"});
  a.require(a.i("allowzero", 0) == 0, "allowzero", "only 0 (0 copies the input dim)");
  Ints shape = imp.constInts(n, 1, "shape");
  imp.emit(n, "Reshape", {imp.value(n, 0)}, {{"shape", AttrValue::ofInts(shape)}});
}

void dropout(Importer& imp, const onnx::NodeProto& n) {
  Attrs a = imp.opset() < 12 ? Attrs(imp, n, {"ratio", "seed"}) : Attrs(imp, n, {"seed"});
  onlyFirstOutput(imp, n);
  float rate = a.f("ratio", 0.5f);  // opset 11: an attribute; 12+: an input
  if (Importer::hasInput(n, 1)) {
    const ConstTensor* r = imp.constant(n, 1);
    if (!r || !r->isFloat || r->f.size() != 1)
      imp.fail(n, "ratio input '" + n.input(1) + "' must be a constant scalar");
    rate = r->f[0];
  }
  if (Importer::hasInput(n, 2)) {
    const ConstTensor* t = imp.constant(n, 2);
    if (!t || (t->isFloat ? t->f != std::vector<float>{0.f} : t->i != Ints{0}))
      imp.fail(n, "training_mode input must be a constant false");
  }
  imp.emit(n, "Dropout", {imp.value(n, 0)}, {{"rate", AttrValue::ofFloat(rate)}});
}

void identity(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {});
  // NOTE: PyTorch's exporter feeds equal initializers through Identity nodes;
  // each copy is a distinct parameter of the source model (a weight and a
  // running variance may share one), so the copy becomes its own param, and
  // its use decides whether it is trainable.
  if (const ConstTensor* c = imp.constant(n, 0)) return imp.setConstant(n.output(0), *c);
  imp.alias(n, imp.value(n, 0));
}

void constant(Importer& imp, const onnx::NodeProto& n) {
  if (n.attribute_size() != 1) imp.fail(n, "needs exactly one value attribute");
  const onnx::AttributeProto& at = n.attribute(0);
  ConstTensor c;
  if (at.name() == "value" && at.type() == onnx::AttributeProto::TENSOR) {
    c = readTensor(at.t(), "", n.name(), n.op_type());
  } else if (at.name() == "value_float") {
    c.f = {at.f()};
  } else if (at.name() == "value_floats") {
    c.f.assign(at.floats().begin(), at.floats().end());
    c.dims = {int64_t(c.f.size())};
  } else if (at.name() == "value_int") {
    c.isFloat = false;
    c.i = {at.i()};
  } else if (at.name() == "value_ints") {
    c.isFloat = false;
    c.i.assign(at.ints().begin(), at.ints().end());
    c.dims = {int64_t(c.i.size())};
  } else {
    imp.fail(n, "attribute '" + at.name() + "' is not supported");
  }
  c.constant = true;
  imp.setConstant(n.output(0), std::move(c));
}

void pad(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"mode"});
  a.require(a.s("mode", "constant") == "constant", "mode", "only constant padding");
  if (Importer::hasInput(n, 3)) imp.fail(n, "input 'axes' is not supported");
  Ints pads = imp.constInts(n, 1, "pads");
  float value = 0.f;
  if (Importer::hasInput(n, 2)) {
    const ConstTensor* v = imp.constant(n, 2);
    if (!v || !v->isFloat || v->f.size() != 1)
      imp.fail(n, "constant_value input must be a constant float scalar");
    value = v->f[0];
  }
  imp.emit(n, "Pad", {imp.value(n, 0)},
           {{"pads", AttrValue::ofInts(pads)}, {"value", AttrValue::ofFloat(value)}});
}

// A constant float scalar input (Pow's exponent, Clip's bounds).
float constScalar(Importer& imp, const onnx::NodeProto& n, int port, const char* what) {
  const ConstTensor* c = imp.constant(n, port);
  if (!c || !c->isFloat || c->f.size() != 1)
    imp.fail(n, std::string(what) + " input '" + n.input(port) + "' must be a constant float scalar");
  return c->f[0];
}

// Axes given as an input (opset 13+ for Squeeze/Unsqueeze/ReduceSum) or as
// the attribute before it; `def` when neither is given.
Ints axesOf(Importer& imp, const onnx::NodeProto& n, const Attrs& a, int port, int inputSince) {
  if (imp.opset() >= inputSince) return Importer::hasInput(n, port) ? imp.constInts(n, port, "axes") : Ints{};
  return a.ints("axes", {});
}

void hardSigmoid(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"alpha", "beta"});
  imp.emit(n, "HardSigmoid", {imp.value(n, 0)},
           {{"alpha", AttrValue::ofFloat(a.f("alpha", 0.2f))},
            {"beta", AttrValue::ofFloat(a.f("beta", 0.5f))}});
}

void prelu(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {});
  std::string src = imp.value(n, 0);
  // ONNX broadcasts a rank-1 slope [C] along the last axis; tapeflow reads a
  // rank-1 slope per channel (dim 1), so it gets its right-aligned rank.
  const size_t rank = imp.dimsOf(src).size();
  if (const ConstTensor* c = imp.constant(n, 1); c && c->dims.size() == 1 && c->dims[0] > 1 && rank > 2) {
    if (imp.mapped(n.input(1))) imp.fail(n, "a rank-1 slope used by another node is not supported");
    Dims d(rank - 1, 1);
    d.back() = c->dims[0];
    imp.mutableConstant(n.input(1)).dims = d;
  }
  imp.emit(n, "PRelu", {src, imp.value(n, 1)});
}

void pow(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {});
  imp.emit(n, "Pow", {imp.value(n, 0)},
           {{"exponent", AttrValue::ofFloat(constScalar(imp, n, 1, "exponent"))}});
}

void clip(Importer& imp, const onnx::NodeProto& n) {
  std::map<std::string, AttrValue> at;
  if (imp.opset() < 11) {
    Attrs a(imp, n, {"min", "max"});
    if (a.has("min")) at["min"] = AttrValue::ofFloat(a.f("min", 0.f));
    if (a.has("max")) at["max"] = AttrValue::ofFloat(a.f("max", 0.f));
  } else {
    Attrs a(imp, n, {});
    if (Importer::hasInput(n, 1)) at["min"] = AttrValue::ofFloat(constScalar(imp, n, 1, "min"));
    if (Importer::hasInput(n, 2)) at["max"] = AttrValue::ofFloat(constScalar(imp, n, 2, "max"));
  }
  imp.emit(n, "Clip", {imp.value(n, 0)}, at);
}

void minMax(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {});
  if (n.input_size() != 2) imp.fail(n, "only two inputs are supported, found " + std::to_string(n.input_size()));
  imp.emit(n, n.op_type(), {imp.value(n, 0), imp.value(n, 1)});
}

void globalMaxPool(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {});
  imp.emit(n, "GlobalMaxPool", {imp.value(n, 0)});
}

// Sizes: an input from opset 13, the attribute before it; none: equal
// parts, which before opset 18 must divide the axis exactly.
void split(Importer& imp, const onnx::NodeProto& n) {
  const bool input = imp.opset() >= 13;
  Attrs a = input ? Attrs(imp, n, {"axis"}) : Attrs(imp, n, {"axis", "split"});
  for (int k = 0; k < n.output_size(); ++k)
    if (n.output(k).empty()) imp.fail(n, "output " + std::to_string(k) + " has no name");
  std::string src = imp.value(n, 0);
  Ints sizes = !input ? a.ints("split", {})
               : Importer::hasInput(n, 1) ? imp.constInts(n, 1, "split") : Ints{};
  const int64_t parts = n.output_size(), axis = a.i("axis", 0);
  std::map<std::string, AttrValue> at{{"axis", AttrValue::ofInt(axis)}};
  if (!sizes.empty()) {
    if (int64_t(sizes.size()) != parts)
      imp.fail(n, "split has " + std::to_string(sizes.size()) + " sizes for " +
                      std::to_string(parts) + " outputs");
    at["split"] = AttrValue::ofInts(sizes);
  } else if (parts > 1) {
    Dims d = imp.dimsOf(src);
    const int64_t rank = int64_t(d.size()), ax = axis < 0 ? axis + rank : axis;
    a.require(ax >= 0 && ax < rank, "axis", "out of range for a rank " + std::to_string(rank) + " input");
    if (d[size_t(ax)] < 0) imp.fail(n, "equal parts of the batch axis are not supported");
    if (d[size_t(ax)] % parts != 0)
      imp.fail(n, "axis " + std::to_string(axis) + " has " + std::to_string(d[size_t(ax)]) +
                      ", not divisible into " + std::to_string(parts) + " equal parts");
  }
  imp.emit(n, "Split", {src}, at, int(parts));
}

void transpose(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"perm"});
  std::map<std::string, AttrValue> at;
  if (a.has("perm")) at["perm"] = AttrValue::ofInts(a.ints("perm", {}));
  imp.emit(n, "Transpose", {imp.value(n, 0)}, at);
}

void squeeze(Importer& imp, const onnx::NodeProto& n) {
  Attrs a = imp.opset() >= 13 ? Attrs(imp, n, {}) : Attrs(imp, n, {"axes"});
  std::map<std::string, AttrValue> at;
  Ints axes = axesOf(imp, n, a, 1, 13);
  if (!axes.empty()) at["axes"] = AttrValue::ofInts(axes);
  imp.emit(n, n.op_type(), {imp.value(n, 0)}, at);
}

void slice(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {});
  if (imp.opset() < 10) imp.fail(n, "Slice before opset 10 (attributes) is not supported");
  std::map<std::string, AttrValue> at;
  at["starts"] = AttrValue::ofInts(imp.constInts(n, 1, "starts"));
  at["ends"] = AttrValue::ofInts(imp.constInts(n, 2, "ends"));
  if (Importer::hasInput(n, 3)) at["axes"] = AttrValue::ofInts(imp.constInts(n, 3, "axes"));
  if (Importer::hasInput(n, 4)) at["steps"] = AttrValue::ofInts(imp.constInts(n, 4, "steps"));
  imp.emit(n, "Slice", {imp.value(n, 0)}, at);
}

void reduce(Importer& imp, const onnx::NodeProto& n) {
  // ReduceSum takes axes as an input from opset 13, the others from 18.
  const int since = n.op_type() == "ReduceSum" ? 13 : 18;
  Attrs a = imp.opset() >= since ? Attrs(imp, n, {"keepdims", "noop_with_empty_axes"})
                                 : Attrs(imp, n, {"axes", "keepdims"});
  a.require(a.i("noop_with_empty_axes", 0) == 0, "noop_with_empty_axes",
            "only 0 (no axes reduce every axis)");
  imp.emit(n, n.op_type(), {imp.value(n, 0)},
           {{"axes", AttrValue::ofInts(axesOf(imp, n, a, 1, since))},
            {"keepdims", AttrValue::ofInt(a.i("keepdims", 1))}});
}

void layerNorm(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"axis", "epsilon", "stash_type"});
  a.require(a.i("stash_type", 1) == 1, "stash_type", "only 1 (float statistics)");
  onlyFirstOutput(imp, n);
  std::vector<std::string> ins{imp.value(n, 0), imp.value(n, 1)};
  if (Importer::hasInput(n, 2)) ins.push_back(imp.value(n, 2));
  imp.emit(n, "LayerNorm", ins,
           {{"axis", AttrValue::ofInt(a.i("axis", -1))},
            {"epsilon", AttrValue::ofFloat(a.f("epsilon", 1e-5f))}});
}

// Scales only (constant sizes would fix the batch axis). Nearest is exact
// for whole upscaling factors with asymmetric + floor or half_pixel +
// round_prefer_*; linear is half_pixel (pytorch_half_pixel agrees where no
// output dim is 1).
void resize(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside",
                   "extrapolation_value", "mode", "nearest_mode"});
  const std::string mode = a.s("mode", "nearest"), nm = a.s("nearest_mode", "round_prefer_floor");
  std::string coord = a.s("coordinate_transformation_mode", "half_pixel");
  a.require(mode == "nearest" || mode == "linear", "mode", "only nearest or linear");
  a.require(a.i("exclude_outside", 0) == 0, "exclude_outside", "only 0");
  if (Importer::hasInput(n, 3))
    imp.fail(n, "input 'sizes' is not supported (constant sizes fix the batch axis); give scales");
  const ConstTensor* sc = Importer::hasInput(n, 2) ? imp.constant(n, 2) : nullptr;
  if (!sc || !sc->isFloat || sc->f.empty()) imp.fail(n, "scales must be a constant float input");
  std::string src = imp.value(n, 0);
  if (mode == "nearest" && coord == "asymmetric") {
    a.require(nm == "floor", "nearest_mode", "only floor with asymmetric coordinates");
  } else if (mode == "nearest") {
    a.require(coord == "half_pixel", "coordinate_transformation_mode",
              "only asymmetric or half_pixel with mode nearest");
    a.require(nm == "round_prefer_floor" || nm == "round_prefer_ceil", "nearest_mode",
              "only round_prefer_floor or round_prefer_ceil with half_pixel coordinates");
  } else {
    a.require(coord == "half_pixel" || coord == "pytorch_half_pixel",
              "coordinate_transformation_mode", "only half_pixel with mode linear");
    const Dims d = imp.dimsOf(src);
    for (size_t k = 2; k < d.size() && k < sc->f.size() && coord != "half_pixel"; ++k)
      a.require(std::floor(double(d[k]) * sc->f[k]) > 1, "coordinate_transformation_mode",
                "pytorch_half_pixel differs from half_pixel for an output dim of 1");
    coord = "half_pixel";
  }
  imp.emit(n, "Resize", {src},
           {{"scales", AttrValue::ofFloats(sc->f)},
            {"mode", AttrValue::ofString(mode)},
            {"coordinate_transformation_mode", AttrValue::ofString(coord)}});
}

// Indices: an INT32 graph input (tapeflow's indices are i32 values known
// at run time; a constant would become a float param).
void gather(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"axis"});
  if (imp.constant(n, 1))
    imp.fail(n, "constant indices '" + n.input(1) + "' are not supported; only an INT32 input");
  imp.emit(n, "Gather", {imp.value(n, 0), imp.value(n, 1)},
           {{"axis", AttrValue::ofInt(a.i("axis", 0))}});
}

void convTranspose(Importer& imp, const onnx::NodeProto& n) {
  Attrs a(imp, n, {"auto_pad", "dilations", "group", "kernel_shape", "output_padding", "pads",
                   "strides"});
  std::vector<std::string> ins{imp.value(n, 0), imp.value(n, 1)};
  if (Importer::hasInput(n, 2)) ins.push_back(imp.value(n, 2));
  Dims w = imp.dimsOf(ins[1]);
  if (w.size() != 4) imp.fail(n, "only 2-D transposed convolutions (rank-4 weights) are supported");
  a.require(a.ints("kernel_shape", {w[2], w[3]}) == Ints{w[2], w[3]}, "kernel_shape",
            "differs from the weights' spatial dims");
  const std::string autoPad = a.s("auto_pad", "NOTSET");
  a.require(autoPad == "NOTSET" || autoPad == "VALID", "auto_pad", "use NOTSET or VALID");
  Ints pads = autoPad == "VALID" ? Ints{0, 0, 0, 0} : a.ints("pads", {0, 0, 0, 0});
  a.require(pads.size() == 4, "pads", "a 2-D window needs 4 pads");
  imp.emit(n, "ConvTranspose2D", ins,
           {{"stride", AttrValue::ofInts(a.ints("strides", {1, 1}))},
            {"dilation", AttrValue::ofInts(a.ints("dilations", {1, 1}))},
            {"groups", AttrValue::ofInt(a.i("group", 1))},
            {"pads", AttrValue::ofInts(pads)},
            {"output_padding", AttrValue::ofInts(a.ints("output_padding", {0, 0}))}});
}

const std::map<std::string, Fn>& table() {
  static const std::map<std::string, Fn> t = {
      {"Abs", unary},           {"Add", binary},
      {"AveragePool", pool},    {"BatchNormalization", batchNorm},
      {"Clip", clip},           {"Concat", axisOp},
      {"Constant", constant},   {"Conv", conv},
      {"ConvTranspose", convTranspose},
      {"Div", binary},          {"Dropout", dropout},
      {"Elu", alphaUnary},      {"Exp", unary},
      {"Flatten", flatten},     {"Gather", gather},
      {"Gemm", gemm},
      {"GlobalAveragePool", globalAveragePool},
      {"GlobalMaxPool", globalMaxPool},
      {"HardSigmoid", hardSigmoid},
      {"Identity", identity},   {"LayerNormalization", layerNorm},
      {"LeakyRelu", alphaUnary},
      {"Log", unary},           {"LogSoftmax", axisOp},
      {"MatMul", matMul},       {"Max", minMax},
      {"MaxPool", pool},        {"Min", minMax},
      {"Mul", binary},          {"Neg", unary},
      {"PRelu", prelu},         {"Pad", pad},
      {"Pow", pow},             {"ReduceMax", reduce},
      {"ReduceMean", reduce},   {"ReduceSum", reduce},
      {"Relu", unary},          {"Reshape", reshape},
      {"Resize", resize},
      {"Sigmoid", unary},       {"Slice", slice},
      {"Softmax", axisOp},      {"Softplus", unary},
      {"Split", split},
      {"Sqrt", unary},          {"Squeeze", squeeze},
      {"Sub", binary},          {"Tanh", unary},
      {"Transpose", transpose}, {"Unsqueeze", squeeze},
  };
  return t;
}

}  // namespace

bool mapOp(Importer& imp, const onnx::NodeProto& n) {
  auto it = table().find(n.op_type());
  if (it == table().end()) return false;
  it->second(imp, n);
  return true;
}

std::string mappedOps() {
  std::string s;
  for (const auto& [name, fn] : table()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

}  // namespace tapeflow::onnxio::detail
