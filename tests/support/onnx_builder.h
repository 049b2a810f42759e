// tests/support/onnx_builder.h - small ONNX models built in code for the
// import tests: a one-node model, initializers, nodes and attributes.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "onnx_support.h"

namespace tapeflow::onnxtest {

/// One node `op` from input x [N,2,4,4] to output y.
inline onnx::ModelProto tinyModel(const std::string& op, int opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(opset);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("tiny");
  onnx::ValueInfoProto* in = g->add_input();
  in->set_name("x");
  auto* t = in->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  t->mutable_shape()->add_dim()->set_dim_param("N");
  for (int d : {2, 4, 4}) t->mutable_shape()->add_dim()->set_dim_value(d);
  onnx::NodeProto* n = g->add_node();
  n->set_name("n1");
  n->set_op_type(op);
  n->add_input("x");
  n->add_output("y");
  g->add_output()->set_name("y");
  return m;
}

/// A float initializer of uniform [-1, 1) values (seeded).
inline void addInit(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
             uint64_t seed) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  size_t n = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    n *= size_t(d);
  }
  for (float v : randomInput(n, seed)) t->add_float_data(v);
}

inline onnx::NodeProto* addNode(onnx::GraphProto* g, const std::string& op,
                         std::vector<std::string> in, const std::string& out) {
  onnx::NodeProto* n = g->add_node();
  n->set_name(out);
  n->set_op_type(op);
  for (const auto& s : in) n->add_input(s);
  n->add_output(out);
  return n;
}

inline void intsAttr(onnx::NodeProto* n, const char* name, std::vector<int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

inline void intAttr(onnx::NodeProto* n, const char* name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

/// An INT64 initializer (axes, starts, ...).
inline void addInts(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& v) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(int64_t(v.size()));
  for (int64_t x : v) t->add_int64_data(x);
}

/// A FLOAT scalar initializer.
inline void addScalar(onnx::GraphProto* g, const std::string& name, float v) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_float_data(v);
}

inline void floatAttr(onnx::NodeProto* n, const char* name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

}  // namespace tapeflow::onnxtest
