// <tapeflow/tapeflow.h> - the public C++ API: build or load a graph, train
// it with an optimizer, save and load checkpoints, prepare data.
//
//   auto model = tapeflow::Model::load("models/lenet5_keras.pbtxt", 1);
//   tapeflow::optim::Adam opt(model, {.lr = 1e-3});
//   model.train();
//   opt.zeroGrad();
//   model.forward({{"image", x}, {"label", y}});
//   model.backward();
//   opt.step();
//   tapeflow::save(model, "run/ckpt.tfck", &opt);
//
// Only two std-only vocabulary headers are included besides the standard
// library: error types (tapeflow::Error and its subclasses: every failure
// throws one, with a one-line what()) and Dims/DType. No oneDNN, protobuf
// or Boost type appears here; the model is a pimpl.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/error.h"  // tapeflow::Error, UsageError, ShapeError, DataError, ...
#include "core/shape.h"  // tapeflow::Dims, tapeflow::DType

namespace tapeflow {

struct ModelAccess;  // the implementation's access to the pimpls

/// A plain row-major host tensor. I32 tensors keep their values in ints().
class Tensor {
 public:
  Tensor() = default;
  /// An f32 tensor; data.size() must equal the product of dims (UsageError).
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
  /// Rows [begin, end) along dim 0 (a batch of samples); end is clamped to
  /// dims()[0]. UsageError for a scalar or begin outside [0, dims()[0]).
  Tensor slice(int64_t begin, int64_t end) const;
  /// The single value of a one-element f32 tensor (UsageError otherwise).
  float item() const;

 private:
  Dims dims_;
  DType dtype_ = DType::F32;
  std::vector<float> data_;
  std::vector<int32_t> ints_;
};

/// A named value of a graph: an input, a parameter or a node output. dims
/// are as declared (-1 marks the batch dimension).
class Value {
 public:
  Value() = default;
  /// A value by name (builder inputs may name values declared earlier).
  Value(const char* name) : name_(name) {}  // NOLINT: implicit by design
  Value(std::string name) : name_(std::move(name)) {}  // NOLINT
  Value(std::string name, Dims dims, DType dtype = DType::F32)
      : name_(std::move(name)), dims_(std::move(dims)), dtype_(dtype) {}
  const std::string& name() const { return name_; }
  /// Declared dims; empty for a builder node output (known after shape
  /// inference: ask Model::find).
  const Dims& dims() const { return dims_; }
  DType dtype() const { return dtype_; }

 private:
  std::string name_;
  Dims dims_;
  DType dtype_ = DType::F32;
};

/// An attribute value: int, float, string, ints or floats.
using Attr = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                          std::vector<float>>;
using Attrs = std::map<std::string, Attr>;

/// Builds a graph in code: the same graphs a .pbtxt file declares.
class GraphBuilder {
 public:
  explicit GraphBuilder(std::string name);
  GraphBuilder(const GraphBuilder&);
  GraphBuilder& operator=(const GraphBuilder&);
  ~GraphBuilder();
  /// Declares a graph input; dims[0] may be -1 (batch).
  Value input(const std::string& name, Dims dims, DType dtype = DType::F32);
  /// Declares a trainable parameter filled by `init` (e.g. "zeros",
  /// "xavier_uniform", "he_normal").
  Value param(const std::string& name, Dims dims, const std::string& init = "zeros");
  /// Declares a constant (not trainable) with explicit values.
  Value constant(const std::string& name, Dims dims, std::vector<float> data);
  /// Adds a node with one output, named `name` or "<op>_<k>".
  Value node(const std::string& op, const std::vector<Value>& inputs, Attrs attrs = {},
             const std::string& name = "");
  GraphBuilder& output(const Value& value);
  GraphBuilder& loss(const Value& value);
  GraphBuilder& prediction(const Value& value);

 private:
  friend class Model;
  friend struct BuilderAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A parameter of a model: constants are listed with trainable false.
struct Parameter {
  std::string name;
  Dims dims;
  bool trainable = true;
};

/// A validated model with its parameters. Like a torch::nn::Module it is in
/// training mode (train()) or evaluation mode (eval(); the default); plans
/// are prepared once per batch size and mode and reused.
class Model {
 public:
  /// Loads a .pbtxt or .pb file, validates it and initialises parameters.
  static Model load(const std::string& path, uint64_t seed = 0);
  /// Validates a graph built in code and initialises parameters.
  static Model fromBuilder(const GraphBuilder& builder, uint64_t seed = 0);
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  /// Training mode: forward records the tape for backward().
  void train(bool on = true);
  /// Evaluation (inference) mode.
  void eval() { train(false); }
  bool isTraining() const;

  /// Re-initialises every parameter from its initializer.
  void initialize(uint64_t seed);
  /// Binds an input for the next forward; its dims[0] sets the batch size.
  void setInput(const std::string& name, const Tensor& value);
  /// Binds `inputs` (name -> tensor), then runs forward in the current mode.
  void forward(const std::map<std::string, Tensor>& inputs);
  /// Runs forward on the inputs bound so far.
  void forward();
  /// Runs backward after a training-mode forward (seeds the loss with 1).
  /// Parameter gradients are overwritten, not accumulated.
  void backward();
  /// Sets every trainable parameter's gradient to zero.
  void zeroGrad();

  /// A value computed by the last forward (by handle or name).
  Tensor value(const Value& v) const;
  /// The handle of a value: its declared dims after shape inference.
  Value find(const std::string& name) const;
  /// The gradient of a trainable parameter or of a value after backward();
  /// std::nullopt, like an undefined torch::Tensor::grad(), when none is
  /// computed (constants, integer values, values the loss does not depend
  /// on). UsageError for an unknown name or before any backward().
  std::optional<Tensor> grad(const Value& v) const;

  Tensor param(const std::string& name) const;
  void setParam(const std::string& name, const Tensor& value);
  /// Every parameter and constant, in declaration order.
  std::vector<Parameter> parameters() const;
  /// Whether `name` is a trainable parameter (UsageError if no parameter).
  bool trainable(const std::string& name) const;
  /// The graph's loss and prediction value names ("" when not declared).
  std::string lossName() const;
  std::string predictionName() const;

 private:
  friend struct ModelAccess;
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

namespace optim {

/// An optimizer over every trainable parameter of a model (which must
/// outlive it). The update code is the trainer's (`tapeflow train`).
class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  /// One update from the gradients of the last backward().
  void step();
  /// Model::zeroGrad() of the model.
  void zeroGrad();
  double lr() const { return lr_; }
  void setLr(double lr) { lr_ = lr; }
  /// Updates done so far (restored by load()).
  int64_t steps() const;

 protected:
  Optimizer(Model& model, const std::string& kind, double lr, double momentum,
            bool nesterov, double beta1, double beta2, double eps, double weightDecay);

 private:
  friend struct ::tapeflow::ModelAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Model* model_;
  double lr_;
};

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0;
  bool nesterov = false;
  double weightDecay = 0;  ///< L2 added to the gradient
};
class SGD : public Optimizer {
 public:
  SGD(Model& model, SGDOptions o);
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weightDecay = 0;  ///< Adam: L2 added to the gradient; AdamW: decoupled
};
class Adam : public Optimizer {
 public:
  Adam(Model& model, AdamOptions o);
};
class AdamW : public Optimizer {
 public:
  AdamW(Model& model, AdamOptions o);
};

}  // namespace optim

/// Writes a checkpoint (.tfck, the format of `tapeflow train`): every
/// parameter and, with an optimizer, its state and step count. Atomic.
void save(const Model& model, const std::string& path,
          const optim::Optimizer* optimizer = nullptr);
/// Restores parameters (and optimizer state, when given and present) from a
/// checkpoint written by save() or by `tapeflow train`. DataError, naming
/// the file, when it does not fit the model; nothing is modified then.
void load(Model& model, const std::string& path, optim::Optimizer* optimizer = nullptr);

namespace data {

/// The trainer's image transforms (solver fields pad_to, normalize, mean,
/// stddev).
struct Transform {
  int64_t padTo = 0;               ///< zero-pad to padTo x padTo (0: off)
  std::string normalize = "unit";  ///< unit: x/255; standard: (x/255-mean)/stddev
  float mean = 0.1307f, stddev = 0.3081f;
};

/// Centres images [N,C,H,W] in size x size, filling with zeros (images
/// already that large are unchanged). Pad raw intensities, then normalise.
Tensor pad(const Tensor& images, int64_t size);
/// Maps raw intensities 0..255 as the trainer and `tapeflow predict` do.
Tensor normalize(Tensor images, const Transform& t);
/// pad(t.padTo) then normalize.
Tensor apply(const Tensor& images, const Transform& t);

/// Samples held in memory: images [N,C,H,W] f32 and labels [N] i32.
struct Examples {
  Tensor images;
  Tensor labels;
  int64_t size() const { return labels.dims().empty() ? 0 : labels.dims()[0]; }
};

/// One split ("train" or "test") of an MNIST-style IDX directory (plain or
/// gzipped files): images as raw intensities [N,1,28,28]. IoError for a
/// missing directory or file, DataError for a malformed one.
Examples loadMnist(const std::string& dir, const std::string& split);

}  // namespace data
}  // namespace tapeflow
