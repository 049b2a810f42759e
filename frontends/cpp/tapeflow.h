// frontends/cpp/tapeflow.h - the C++ API: build or load a graph, bind
// inputs, run forward and backward, read and write parameters and gradients.
//
//   tapeflow::GraphBuilder b("mlp");
//   auto x = b.input("x", {-1, 4});
//   auto h = b.node("Linear", {x, b.param("w", {3, 4}, "xavier_uniform")});
//   b.output(b.node("Relu", {h}));
//   tapeflow::Model m = tapeflow::Model::fromGraph(b.build());
//   m.setInput("x", tapeflow::Tensor({2, 4}, {...}));
//   m.forward();
//   tapeflow::Tensor y = m.value(b.lastOutput());
//
// No Boost or protobuf type appears here. Errors are tapeflow::Error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/graph.h"

namespace tapeflow {

/// A plain row-major host tensor. I32 tensors keep their values in ints().
class Tensor {
 public:
  Tensor() = default;
  /// An f32 tensor; data.size() must equal the product of dims.
  Tensor(Dims dims, std::vector<float> data);
  /// An i32 tensor (labels).
  static Tensor ofInts(Dims dims, std::vector<int32_t> data);
  static Tensor zeros(Dims dims);

  const Dims& dims() const { return dims_; }
  DType dtype() const { return dtype_; }
  const std::vector<float>& data() const { return data_; }
  std::vector<float>& data() { return data_; }
  const std::vector<int32_t>& ints() const { return ints_; }
  int64_t size() const;

 private:
  Dims dims_;
  DType dtype_ = DType::F32;
  std::vector<float> data_;
  std::vector<int32_t> ints_;
};

/// Builds a graph in code: the same graphs a .pbtxt file declares.
class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name);
  /// Declares a graph input; dims[0] may be -1 (batch). Returns its name.
  std::string input(const std::string& name, Dims dims, DType dtype = DType::F32);
  /// Declares a trainable parameter filled by `init` (see Initializer).
  std::string param(const std::string& name, Dims dims,
                    const std::string& init = "zeros");
  /// Declares a constant with explicit values.
  std::string constant(const std::string& name, Dims dims, std::vector<float> data);
  /// Adds a node with one output; returns the output's name (the node's
  /// name, or "<op>_<k>" when none is given).
  std::string node(const std::string& op, const std::vector<std::string>& inputs,
                   std::map<std::string, AttrValue> attrs = {},
                   const std::string& name = "");
  GraphBuilder& output(const std::string& value);
  GraphBuilder& loss(const std::string& value);
  GraphBuilder& prediction(const std::string& value);
  /// The output of the last node added.
  const std::string& lastOutput() const { return last_; }
  /// The graph (not yet validated: Model::fromGraph validates).
  Graph build() const { return graph_; }

 private:
  Graph graph_;
  std::string last_;
};

/// A validated model with its parameters; plans are prepared lazily per
/// batch size and mode and reused.
class Model {
 public:
  /// Loads a .pbtxt or .pb file, validates it and initialises parameters.
  static Model load(const std::string& path, uint64_t seed = 0);
  /// Validates a graph built in code and initialises parameters.
  static Model fromGraph(Graph graph, uint64_t seed = 0);
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  /// Re-initialises every parameter from its initializer.
  void initialize(uint64_t seed);
  /// Binds an input for the next run; its dims[0] sets the batch size.
  void setInput(const std::string& name, const Tensor& value);
  /// Runs forward in training mode (records the tape) or inference mode.
  void forward(bool training = false);
  /// Runs backward after a training forward (seeds the loss with 1).
  void backward();
  /// A value computed by the last forward.
  Tensor value(const std::string& name) const;
  /// The gradient of a value or parameter after backward.
  Tensor grad(const std::string& name) const;
  Tensor param(const std::string& name) const;
  void setParam(const std::string& name, const Tensor& value);
  std::vector<std::string> paramNames() const;

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tapeflow
