// tests/ops/registry_test.cpp - every listed op is complete, runs its sample
// cases forward, and passes the finite-difference gradient check. Driven by
// ops/op_list.def, so no op can skip it.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/op_list.h"
#include "ops/registry.h"
#include "tests/support/op_harness.h"

namespace tapeflow {
namespace {

std::vector<std::string> opNames() {
  std::vector<std::string> names;
  for (const auto& [name, def] : ops::registry().all()) names.push_back(name);
  return names;
}

class RegistryTest : public ::testing::TestWithParam<std::string> {
 protected:
  const OpDef& def() const { return *ops::registry().find(GetParam()); }
};

TEST_P(RegistryTest, SchemaIsComplete) {
  const OpDef& d = def();
  EXPECT_EQ(d.name(), GetParam());
  EXPECT_FALSE(d.inputs().empty());
  EXPECT_FALSE(d.outputs().empty());
  EXPECT_TRUE(bool(d.shapeFn()));
  EXPECT_TRUE(bool(d.prepareFn()));
  EXPECT_TRUE(bool(d.forwardFn()));
  EXPECT_FALSE(d.docText().empty());
  if (d.isDifferentiable())
    EXPECT_TRUE(bool(d.backwardFn())) << "differentiable op without backward";
  else
    EXPECT_FALSE(d.nonDifferentiableReason().empty());
  ASSERT_TRUE(bool(d.samplesFn()));
  EXPECT_GE(d.samplesFn()().size(), 2u) << "need at least two sample shapes";
}

TEST_P(RegistryTest, SamplesRunForwardWithFiniteOutputs) {
  for (const SampleCase& c : def().samplesFn()()) {
    SCOPED_TRACE(c.label);
    auto in = testing::sampleInputs(c, 42);
    for (bool training : {false, true}) {
      auto out = testing::runOp(GetParam(), c.attrs, in, training);
      ASSERT_EQ(int(out.size()), testing::outputCount(GetParam(), c.attrs));
      for (const auto& t : out)
        for (float v : t.data) ASSERT_TRUE(std::isfinite(v));
    }
  }
}

TEST_P(RegistryTest, GradientMatchesFiniteDifferences) {
  if (!def().isDifferentiable()) GTEST_SKIP() << def().nonDifferentiableReason();
  for (const SampleCase& c : def().samplesFn()()) {
    SCOPED_TRACE(c.label);
    auto in = testing::sampleInputs(c, 7);
    auto r = testing::gradCheck(GetParam(), c.attrs, in, c);
    EXPECT_TRUE(r.ok) << r.report;
    EXPECT_GT(r.checked, 0) << "no element was checked";
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, RegistryTest, ::testing::ValuesIn(opNames()),
                         [](const auto& info) { return info.param; });

TEST(RegistryTableTest, OpListNamesMatchTheirOpDefs) {
  EXPECT_EQ(ops::checkOpList(ops::opList()), "");
  EXPECT_EQ(ops::opList().size(), ops::registry().all().size());
  for (const ops::OpListEntry& e : ops::opList())
    EXPECT_EQ(e.accessor().name(), e.listed);
}

const OpDef& fooOp() {
  static const OpDef def("Foo");
  return def;
}
const OpDef& barOp() {
  static const OpDef def("Bar");
  return def;
}

TEST(RegistryTableTest, CheckCatchesAMismatchedOrDuplicateEntry) {
  EXPECT_EQ(ops::checkOpList({{"Foo", &fooOp}, {"Bar", &barOp}}), "");
  // TAPEFLOW_OP(Foo, barOp): the listed name is not the OpDef's.
  EXPECT_EQ(ops::checkOpList({{"Foo", &fooOp}, {"Foo", &barOp}}),
            "op list entry 'Foo' names an OpDef called 'Bar'; the first "
            "argument of TAPEFLOW_OP must be the OpDef's name");
  EXPECT_EQ(ops::checkOpList({{"Foo", &fooOp}, {"Foo", &fooOp}}),
            "op 'Foo' is listed twice");
}

TEST(RegistryTableTest, ClosestNamesSuggestsNearOps) {
  auto near = ops::registry().closest("relu", 1);
  ASSERT_EQ(near.size(), 1u);
  EXPECT_EQ(near[0], "Relu");
}

}  // namespace
}  // namespace tapeflow
