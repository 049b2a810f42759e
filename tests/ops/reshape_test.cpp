// tests/ops/reshape_test.cpp - Reshape: data unchanged, dims per ONNX (0
// copies, -1 infers), the batch stays dynamic, blocked inputs, gradients,
// rejections.
#include <gtest/gtest.h>

#include <cstring>

#include "core/program.h"
#include "ops/registry.h"
#include "tests/support/expect.h"
#include "tests/support/op_harness.h"

namespace tapeflow {
namespace {

using testing::HostTensor;

std::map<std::string, AttrValue> shapeAttr(std::vector<int64_t> shape) {
  return {{"shape", AttrValue::ofInts(std::move(shape))}};
}

TEST(ReshapeTest, ForwardMatchesReference) {
  struct Case {
    Dims in;
    std::vector<int64_t> shape;
    Dims want;
  };
  for (const Case& c : {Case{{2, 3, 4, 4}, {0, -1}, {2, 48}},
                        Case{{3, 13}, {13, 3}, {13, 3}},
                        Case{{2, 3, 4}, {4, -1, 2}, {4, 3, 2}},
                        Case{{2, 3, 4}, {0, 0, -1, 1}, {2, 3, 4, 1}},
                        Case{{6}, {-1}, {6}},
                        Case{{1, 1}, {}, {}}}) {
    SCOPED_TRACE(dimsStr(c.in) + " -> " + dimsStr(c.shape));
    HostTensor x = testing::randomTensor(c.in, 5);
    auto y = testing::runOp("Reshape", shapeAttr(c.shape), {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].dims, c.want);
    EXPECT_EQ(y[0].data, x.data);  // reshaping never moves an element
  }
}

TEST(ReshapeTest, GradientMatchesFiniteDifferences) {
  HostTensor x = testing::randomTensor({3, 5, 2}, 9);
  auto r = testing::gradCheck("Reshape", shapeAttr({5, -1}), {x}, SampleCase{});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(r.checked, 30);
}

TEST(ReshapeTest, BatchStaysDynamic) {
  for (std::vector<int64_t> shape : {std::vector<int64_t>{0, 784},
                                     std::vector<int64_t>{-1, 784}}) {
    SCOPED_TRACE(dimsStr(shape));
    Graph g;
    g.name = "flat";
    g.file = "<test>";
    InputDef in;
    in.name = "image";
    in.dims = {-1, 1, 28, 28};
    g.inputs = {in};
    g.nodes = {testing::nodeOf("r", "Reshape", {"image"}, "flat",
                               shapeAttr(shape))};
    g.outputs = {"flat"};
    auto program = Program::build(g, ops::registry());
    EXPECT_EQ(program->value(program->findValue("flat")).dims, (Dims{-1, 784}));
    for (int64_t batch : {1, 5}) {
      ParamStore store(program);
      store.initialize(0);
      PlanOptions opts;
      opts.mode = Mode::Inference;
      opts.batch = batch;
      Plan plan(program, store, opts);
      HostTensor x = testing::randomTensor({batch, 1, 28, 28}, 3);
      std::memcpy(plan.inputMemory("image").get_data_handle(), x.data.data(),
                  x.data.size() * sizeof(float));
      plan.forward();
      int v = program->findValue("flat");
      EXPECT_EQ(plan.dims(v), (Dims{batch, 784}));
      EXPECT_EQ(plan.readValue(v), x.data);
    }
  }
}

TEST(ReshapeTest, BlockedInputIsRelayoutedToPlain) {
  // 3 channels: nChw8c pads them to 8, so a raw copy would be wrong.
  HostTensor x = testing::randomTensor({2, 3, 4, 4}, 21);
  Graph g = testing::oneOpGraph("Reshape", shapeAttr({0, -1}), {x}, 1);
  testing::insertLayout(g, 0, 0, dnnl::memory::format_tag::nChw8c);
  testing::GraphRun run = testing::runGraph(g);
  EXPECT_EQ(run.dims["out0"], (Dims{2, 48}));
  EXPECT_TRUE(isPlain(run.descs["out0"]));
  EXPECT_EQ(run.values["out0"], x.data);
  // d x = d y, element for element
  EXPECT_EQ(run.grads["in0"], run.seeds["out0"]);
}

TEST(ReshapeTest, CountsNoFlops) {
  auto p = Program::build(
      testing::oneOpGraph("Reshape", shapeAttr({-1}),
                          {testing::randomTensor({2, 3}, 1)}, 1),
      ops::registry());
  EXPECT_EQ(p->flopsPerSample(0), 0);
}

void expectReshapeError(Dims in, std::vector<int64_t> shape,
                        const std::string& substring, bool attrError) {
  auto run = [&] {
    testing::runOp("Reshape", shapeAttr(shape), {testing::randomTensor(in, 1)});
  };
  if (attrError)
    testing::expectThrowWith<AttrError>(run, substring);
  else
    testing::expectThrowWith<ShapeError>(run, substring);
}

TEST(ReshapeTest, RejectsElementCountMismatch) {
  expectReshapeError({2, 3, 4}, {5, 5},
                     "cannot reshape input 'src' [2,3,4] (24 elements) to "
                     "[5,5] (25 elements)",
                     false);
}

TEST(ReshapeTest, RejectsUninferableDim) {
  expectReshapeError({2, 3, 4}, {5, -1},
                     "cannot reshape input 'src' [2,3,4] (24 elements) to "
                     "[5,-1]: 24 is not a multiple of 5",
                     false);
}

TEST(ReshapeTest, RejectsTwoInferredDims) {
  expectReshapeError({2, 3, 4}, {-1, -1},
                     "attribute 'shape': has -1 at axes 0 and 1; at most one "
                     "dim can be inferred",
                     true);
}

TEST(ReshapeTest, RejectsCopyBeyondInputRank) {
  expectReshapeError({6}, {2, 0},
                     "0 at axis 1 copies the input's dim, but input 'src' [6] "
                     "has rank 1",
                     true);
}

TEST(ReshapeTest, RejectsNegativeDim) {
  expectReshapeError({6}, {-2, 3}, "dim -2 at axis 0 is invalid", true);
}

TEST(ReshapeTest, RejectsMissingShape) {
  testing::expectThrowWith<AttrError>(
      [] { testing::runOp("Reshape", {}, {testing::randomTensor({6}, 1)}); },
      "missing required attribute 'shape'");
}

}  // namespace
}  // namespace tapeflow
