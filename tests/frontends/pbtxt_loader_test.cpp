// tests/frontends/pbtxt_loader_test.cpp - the graph file reader and writer:
// the documented example, locations, round trips, and the bad inputs of
// RELIABILITY.md section A (plus B18 and the loader's share of B15/B16).
#include "frontends/pbtxt/pbtxt_loader.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/scratch_dir.h"

namespace tapeflow {
namespace {

namespace fs = std::filesystem;

const char* const kExample =
    "format_version: 1\n"
    "name: \"tiny\"\n"
    "input { name: \"image\" dtype: F32 shape: [-1, 1, 32, 32] }\n"
    "input { name: \"label\" dtype: I32 shape: [-1] }\n"
    "param { name: \"conv1.w\" shape: [6, 1, 5, 5] init { kind: "
    "\"lecun_uniform\" } }\n"
    "param { name: \"mask\" shape: [2, 2] constant: true data: [1, 0, 0, 1] "
    "}\n"
    "node { name: \"conv1\" op: \"Conv2D\" input: [\"image\", \"conv1.w\"] "
    "output: \"conv1\" attr { name: \"padding\" s: \"SAME\" } attr { name: "
    "\"stride\" ints: [1, 1] } }\n"
    "output: \"conv1\"\n"
    "loss: \"loss\"\n"
    "prediction: \"logits\"\n";

/// Line `line` (1-based) of text.
std::string lineOf(const std::string& text, int line) {
  size_t start = 0;
  for (int i = 1; i < line; ++i) start = text.find('\n', start) + 1;
  size_t end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? end : end - start);
}

/// 1-based column of the first `needle` on line `line` (no tabs).
int colOf(const std::string& text, int line, const std::string& needle,
          size_t from = 0) {
  size_t p = lineOf(text, line).find(needle, from);
  EXPECT_NE(p, std::string::npos) << needle;
  return static_cast<int>(p) + 1;
}

void expectLoc(const SourceLoc& loc, int line, int col,
               const std::string& file = "tiny.pbtxt") {
  EXPECT_EQ(loc.file, file);
  EXPECT_EQ(loc.line, line);
  EXPECT_EQ(loc.col, col);
}

/// Runs fn, expects an exception of type E whose message contains `part`
/// and whose location is on `line`; returns it for further checks.
template <class E>
E expectError(const std::function<void()>& fn, const std::string& part,
              int line) {
  try {
    fn();
  } catch (const E& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(part), std::string::npos)
        << "message: " << what << "\nexpected to contain: " << part;
    EXPECT_EQ(e.loc().line, line) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    throw;
  }
  ADD_FAILURE() << "no exception; expected one containing: " << part;
  return E(SourceLoc{}, "", "", "");
}

ParseError textError(const std::string& text, const std::string& part,
                     int line) {
  return expectError<ParseError>([&] { parseGraphText(text, "bad.pbtxt"); },
                                 part, line);
}

bool sameFloat(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

bool sameFloats(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!sameFloat(a[i], b[i])) return false;
  return true;
}

/// Equality of everything but locations and the file name.
void expectSameGraph(const Graph& a, const Graph& b) {
  EXPECT_EQ(a.formatVersion, b.formatVersion);
  EXPECT_EQ(a.name, b.name);
  ASSERT_EQ(a.inputs.size(), b.inputs.size());
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    EXPECT_EQ(a.inputs[i].name, b.inputs[i].name);
    EXPECT_EQ(a.inputs[i].dtype, b.inputs[i].dtype);
    EXPECT_EQ(a.inputs[i].dims, b.inputs[i].dims);
  }
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i) {
    const ParamDef &p = a.params[i], &q = b.params[i];
    EXPECT_EQ(p.name, q.name);
    EXPECT_EQ(p.dtype, q.dtype);
    EXPECT_EQ(p.dims, q.dims);
    EXPECT_EQ(p.trainable, q.trainable);
    EXPECT_TRUE(sameFloats(p.data, q.data)) << p.name;
    EXPECT_EQ(p.init.kind, q.init.kind);
    EXPECT_TRUE(sameFloat(p.init.value, q.init.value));
    EXPECT_TRUE(sameFloat(p.init.low, q.init.low));
    EXPECT_TRUE(sameFloat(p.init.high, q.init.high));
    EXPECT_TRUE(sameFloat(p.init.mean, q.init.mean));
    EXPECT_TRUE(sameFloat(p.init.stddev, q.init.stddev));
    EXPECT_EQ(p.init.fanIn, q.init.fanIn);
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node &n = a.nodes[i], &m = b.nodes[i];
    EXPECT_EQ(n.name, m.name);
    EXPECT_EQ(n.op, m.op);
    EXPECT_EQ(n.inputs, m.inputs);
    EXPECT_EQ(n.outputs, m.outputs);
    ASSERT_EQ(n.attrs.size(), m.attrs.size()) << n.name;
    for (const auto& [key, v] : n.attrs) {
      auto it = m.attrs.find(key);
      ASSERT_NE(it, m.attrs.end()) << key;
      const AttrValue& w = it->second;
      EXPECT_EQ(v.kind, w.kind) << key;
      EXPECT_EQ(v.i, w.i) << key;
      EXPECT_TRUE(sameFloat(v.f, w.f)) << key;
      EXPECT_EQ(v.s, w.s) << key;
      EXPECT_EQ(v.ints, w.ints) << key;
      EXPECT_TRUE(sameFloats(v.floats, w.floats)) << key;
    }
  }
  EXPECT_EQ(a.outputs, b.outputs);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.prediction, b.prediction);
}

/// A graph using every feature of the format, built in code.
Graph everything() {
  Graph g;
  g.formatVersion = 1;
  g.name = "all \"quoted\" \\ caf\xC3\xA9";
  g.inputs.push_back({"x", DType::F32, {-1, 3, 8, 8}, {}});
  g.inputs.push_back({"y", DType::I32, {-1}, {}});
  ParamDef w;
  w.name = "w";
  w.dims = {4, 3, 3, 3};
  w.init.kind = "uniform";
  w.init.low = -0.25f;
  w.init.high = 0.125f;
  w.init.fanIn = 27;
  g.params.push_back(w);
  ParamDef n;
  n.name = "n";
  n.dims = {4};
  n.init.kind = "normal";
  n.init.mean = 1e-3f;
  n.init.stddev = 0.1f;
  g.params.push_back(n);
  ParamDef c;
  c.name = "table";
  c.dtype = DType::I32;
  c.dims = {3};
  c.trainable = false;
  c.data = {1.f, -2.5f, 3.0e-7f};
  g.params.push_back(c);
  ParamDef k;
  k.name = "k";
  k.dims = {1};
  k.init.kind = "constant";
  k.init.value = 0.1f;
  k.data = {7.f};  // data with a non-default initializer: both kept
  g.params.push_back(k);
  Node a;
  a.name = "conv";
  a.op = "Conv2D";
  a.inputs = {"x", "w"};
  a.outputs = {"c"};
  a.attrs["stride"] = AttrValue::ofInts({1, 2});
  a.attrs["padding"] = AttrValue::ofString("SAME");
  a.attrs["groups"] = AttrValue::ofInt(-9000000000LL);
  a.attrs["alpha"] = AttrValue::ofFloat(0.1f);
  a.attrs["scales"] = AttrValue::ofFloats({0.5f, -1.f / 3.f, 1e30f});
  g.nodes.push_back(a);
  Node b;
  b.name = "loss";
  b.op = "SoftmaxCrossEntropy";
  b.inputs = {"c", "y"};
  b.outputs = {"loss", "probs"};
  g.nodes.push_back(b);
  Node e;  // no inputs, no attributes
  e.name = "e";
  e.op = "Zero";
  e.outputs = {"z"};
  g.nodes.push_back(e);
  g.outputs = {"loss", "probs"};
  g.loss = "loss";
  g.prediction = "c";
  return g;
}

// ---------------------------------------------------------------------------
// The documented example

TEST(PbtxtLoaderTest, ParsesTheDocumentedExample) {
  const std::string text = kExample;
  Graph g = parseGraphText(text, "tiny.pbtxt");
  EXPECT_EQ(g.formatVersion, 1);
  EXPECT_EQ(g.name, "tiny");
  EXPECT_EQ(g.file, "tiny.pbtxt");
  expectLoc(g.loc, 0, 0);

  ASSERT_EQ(g.inputs.size(), 2u);
  EXPECT_EQ(g.inputs[0].name, "image");
  EXPECT_EQ(g.inputs[0].dtype, DType::F32);
  EXPECT_EQ(g.inputs[0].dims, (Dims{-1, 1, 32, 32}));
  expectLoc(g.inputs[0].loc, 3, 1);
  EXPECT_EQ(g.inputs[1].name, "label");
  EXPECT_EQ(g.inputs[1].dtype, DType::I32);
  EXPECT_EQ(g.inputs[1].dims, (Dims{-1}));
  expectLoc(g.inputs[1].loc, 4, 1);

  ASSERT_EQ(g.params.size(), 2u);
  const ParamDef& w = g.params[0];
  EXPECT_EQ(w.name, "conv1.w");
  EXPECT_EQ(w.dtype, DType::F32);
  EXPECT_EQ(w.dims, (Dims{6, 1, 5, 5}));
  EXPECT_TRUE(w.trainable);
  EXPECT_TRUE(w.data.empty());
  EXPECT_EQ(w.init.kind, "lecun_uniform");
  EXPECT_EQ(w.init.fanIn, 0);
  expectLoc(w.loc, 5, 1);
  expectLoc(w.init.loc, 5, colOf(text, 5, "init {"));
  const ParamDef& m = g.params[1];
  EXPECT_EQ(m.name, "mask");
  EXPECT_EQ(m.dims, (Dims{2, 2}));
  EXPECT_FALSE(m.trainable);
  EXPECT_EQ(m.data, (std::vector<float>{1, 0, 0, 1}));
  EXPECT_EQ(m.init.kind, "zeros");  // no init block: the IR default
  expectLoc(m.loc, 6, 1);

  ASSERT_EQ(g.nodes.size(), 1u);
  const Node& n = g.nodes[0];
  EXPECT_EQ(n.name, "conv1");
  EXPECT_EQ(n.op, "Conv2D");
  EXPECT_EQ(n.inputs, (std::vector<std::string>{"image", "conv1.w"}));
  EXPECT_EQ(n.outputs, (std::vector<std::string>{"conv1"}));
  expectLoc(n.loc, 7, 1);
  ASSERT_EQ(n.inputLocs.size(), 2u);
  expectLoc(n.inputLocs[0], 7, colOf(text, 7, "\"image\""));
  expectLoc(n.inputLocs[1], 7, colOf(text, 7, "\"conv1.w\""));
  ASSERT_EQ(n.outputLocs.size(), 1u);
  expectLoc(n.outputLocs[0], 7, colOf(text, 7, "output: ") + 8);
  ASSERT_EQ(n.attrs.size(), 2u);
  const AttrValue& pad = n.attrs.at("padding");
  EXPECT_EQ(pad.kind, AttrKind::String);
  EXPECT_EQ(pad.s, "SAME");
  expectLoc(pad.loc, 7, colOf(text, 7, "attr { name: \"padding\""));
  const AttrValue& stride = n.attrs.at("stride");
  EXPECT_EQ(stride.kind, AttrKind::Ints);
  EXPECT_EQ(stride.ints, (std::vector<int64_t>{1, 1}));
  expectLoc(stride.loc, 7, colOf(text, 7, "attr { name: \"stride\""));

  EXPECT_EQ(g.outputs, (std::vector<std::string>{"conv1"}));
  ASSERT_EQ(g.outputLocs.size(), 1u);
  expectLoc(g.outputLocs[0], 8, 9);
  EXPECT_EQ(g.loss, "loss");
  expectLoc(g.lossLoc, 9, 7);
  EXPECT_EQ(g.prediction, "logits");
  expectLoc(g.predictionLoc, 10, 13);
}

TEST(PbtxtLoaderTest, LoadsTextFileByPath) {
  testing::ScratchDir dir("pbtxt_loader");
  std::string path = dir.write("tiny.pbtxt", kExample);
  Graph g = loadGraphFile(path);
  EXPECT_EQ(g.file, path);
  expectLoc(g.loc, 0, 0, path);
  ASSERT_EQ(g.nodes.size(), 1u);
  expectLoc(g.nodes[0].loc, 7, 1, path);
}

TEST(PbtxtLoaderTest, ListFormsCommentsAndTabsGetPerValueLocations) {
  const std::string text =
      "node: [ { name: \"a\" op: \"Relu\" input: \"x\" output: \"y\" },\n"
      "        < name: \"b\" op: \"Relu\"\n"
      "          input: [ # the first\n"
      "            \"y\",\n"
      "            \"w\" \"2\" ]  # adjacent strings concatenate\n"
      "          output: [\"z\"] attr: [{ name: \"k\" i: 1 }, { name: \"j\" "
      "f: 2 }] > ]\n"
      "\toutput:\t\"z\"\n"
      "input: [{ name: \"x\" }, { name: \"q\" dtype: I32 }]\n";
  Graph g = parseGraphText(text, "tiny.pbtxt");
  ASSERT_EQ(g.nodes.size(), 2u);
  expectLoc(g.nodes[0].loc, 1, colOf(text, 1, "{"));
  expectLoc(g.nodes[1].loc, 2, colOf(text, 2, "<"));
  expectLoc(g.nodes[0].inputLocs.at(0), 1, colOf(text, 1, "\"x\""));
  expectLoc(g.nodes[0].outputLocs.at(0), 1, colOf(text, 1, "\"y\""));
  EXPECT_EQ(g.nodes[1].inputs, (std::vector<std::string>{"y", "w2"}));
  ASSERT_EQ(g.nodes[1].inputLocs.size(), 2u);
  expectLoc(g.nodes[1].inputLocs[0], 4, 13);
  expectLoc(g.nodes[1].inputLocs[1], 5, 13);
  expectLoc(g.nodes[1].outputLocs.at(0), 6, colOf(text, 6, "\"z\""));
  expectLoc(g.nodes[1].attrs.at("k").loc, 6, colOf(text, 6, "{ name: \"k\""));
  expectLoc(g.nodes[1].attrs.at("j").loc, 6, colOf(text, 6, "{ name: \"j\""));
  EXPECT_EQ(g.nodes[1].attrs.at("j").kind, AttrKind::Float);
  // Protobuf columns: a tab advances to the next multiple of 8.
  ASSERT_EQ(g.outputLocs.size(), 1u);
  expectLoc(g.outputLocs[0], 7, 17);
  ASSERT_EQ(g.inputs.size(), 2u);
  expectLoc(g.inputs[0].loc, 8, colOf(text, 8, "{ name: \"x\""));
  expectLoc(g.inputs[1].loc, 8, colOf(text, 8, "{ name: \"q\""));
  EXPECT_EQ(g.inputs[1].dtype, DType::I32);
}

TEST(PbtxtLoaderTest, DefaultsAndPassThroughValues) {
  // Missing format_version means 1, missing dtype means F32; values that
  // validation judges (B16 data count) pass unchanged.
  Graph g = parseGraphText(
      "input { name: \"x\" shape: 3 }\n"
      "param { name: \"p\" shape: [5, 5] data: [1, 2] }\n",
      "d.pbtxt");
  EXPECT_EQ(g.formatVersion, 1);
  EXPECT_EQ(g.inputs.at(0).dtype, DType::F32);
  EXPECT_EQ(g.inputs.at(0).dims, (Dims{3}));
  EXPECT_EQ(g.params.at(0).dtype, DType::F32);
  EXPECT_EQ(g.params.at(0).data.size(), 2u);
  EXPECT_TRUE(g.loss.empty());
  expectLoc(g.lossLoc, 0, 0, "d.pbtxt");
  EXPECT_EQ(parseGraphText("format_version: 1", "v.pbtxt").formatVersion, 1);
}

TEST(PbtxtLoaderTest, RejectsFormatVersionsItDoesNotRead) {  // B15
  for (int v : {0, -1, kGraphFormatVersion + 1}) {
    SCOPED_TRACE(v);
    std::string text = "format_version: " + std::to_string(v) + "\n";
    std::string want = "v.pbtxt: error: format_version " + std::to_string(v) +
                       " is not supported (this runtime reads versions 1 to " +
                       std::to_string(kGraphFormatVersion) +
                       "); upgrade tapeflow or re-export the graph";
    try {
      parseGraphText(text, "v.pbtxt");
      ADD_FAILURE() << "text accepted";
    } catch (const ParseError& e) {
      EXPECT_EQ(std::string(e.what()), want);
    }
    Graph g;
    g.formatVersion = v;
    testing::ScratchDir dir("version");
    saveGraphBinary(g, dir.path("v.pb"));
    try {
      loadGraphFile(dir.path("v.pb"));
      ADD_FAILURE() << "binary accepted";
    } catch (const ParseError& e) {
      EXPECT_NE(std::string(e.what()).find("format_version " +
                                           std::to_string(v) +
                                           " is not supported"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(PbtxtLoaderTest, EmptyListAttributeIsAValueInText) {
  Graph g = parseGraphText(
      "node { name: \"n\" attr { name: \"axes\" ints: [] } attr { name: "
      "\"w\" floats: [] } }",
      "e.pbtxt");
  const Node& n = g.nodes.at(0);
  EXPECT_EQ(n.attrs.at("axes").kind, AttrKind::Ints);
  EXPECT_TRUE(n.attrs.at("axes").ints.empty());
  EXPECT_EQ(n.attrs.at("w").kind, AttrKind::Floats);
}

// ---------------------------------------------------------------------------
// Round trips

TEST(PbtxtLoaderTest, TextRoundTripOfTheExample) {
  Graph g = parseGraphText(kExample, "tiny.pbtxt");
  std::string text = graphToText(g);
  EXPECT_NE(text.find("shape: [-1, 1, 32, 32]"), std::string::npos) << text;
  Graph h = parseGraphText(text, "again.pbtxt");
  expectSameGraph(g, h);
  EXPECT_EQ(graphToText(h), text);  // the writer is deterministic
}

TEST(PbtxtLoaderTest, TextRoundTripOfEveryFeature) {
  Graph g = everything();
  Node odd;
  odd.name = "odd";
  odd.op = "X";
  odd.attrs["none"] = AttrValue::ofInts({});
  odd.attrs["nothing"] = AttrValue::ofFloats({});
  odd.attrs["big"] = AttrValue::ofFloat(std::numeric_limits<float>::max());
  odd.attrs["inf"] = AttrValue::ofFloat(-INFINITY);
  odd.attrs["nan"] = AttrValue::ofFloat(NAN);
  odd.attrs["tiny"] = AttrValue::ofFloat(1e-45f);  // denormal
  odd.attrs["esc"] = AttrValue::ofString("a\"b\\c\n\td'");
  g.nodes.push_back(odd);
  std::string text = graphToText(g);
  Graph h = parseGraphText(text, "rt.pbtxt");
  expectSameGraph(g, h);
  EXPECT_EQ(graphToText(h), text);
  // The file is readable: one line per input, param and node.
  EXPECT_NE(
      text.find("input { name: \"x\" dtype: F32 shape: [-1, 3, 8, 8] }\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("caf\xC3\xA9"), std::string::npos) << text;
}

TEST(PbtxtLoaderTest, BinaryRoundTrip) {
  testing::ScratchDir dir("pbtxt_loader");
  Graph g = everything();
  std::string path = dir.path("g.pb");
  saveGraphBinary(g, path);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  Graph h = loadGraphFile(path);
  expectSameGraph(g, h);
  EXPECT_EQ(h.file, path);
  expectLoc(h.loc, 0, 0, path);
  expectLoc(h.nodes.at(0).loc, 0, 0, path);
  expectLoc(h.nodes.at(0).attrs.at("stride").loc, 0, 0, path);
  EXPECT_TRUE(h.nodes.at(0).inputLocs.empty());
  EXPECT_TRUE(h.outputLocs.empty());

  // Text -> binary -> text gives the same text.
  Graph t = parseGraphText(kExample, "tiny.pbtxt");
  saveGraphBinary(t, path);  // replaces the old file
  EXPECT_EQ(graphToText(loadGraphFile(path)), graphToText(t));
}

TEST(PbtxtLoaderTest, BinarySaveRefusesEmptyListAndKeepsOldFile) {
  testing::ScratchDir dir("pbtxt_loader");
  std::string path = dir.path("g.pb");
  saveGraphBinary(everything(), path);
  Graph g = everything();
  g.nodes[0].attrs["axes"] = AttrValue::ofInts({});
  expectError<UsageError>([&] { saveGraphBinary(g, path); },
                          "attribute 'axes' is an empty list", 0);
  expectSameGraph(loadGraphFile(path), everything());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(PbtxtLoaderTest, BinarySaveToMissingDirectoryIsIoError) {
  testing::ScratchDir dir("pbtxt_loader");
  expectError<IoError>(
      [&] { saveGraphBinary(everything(), dir.path("no/such/g.pb")); },
      "No such file or directory", 0);
}

// ---------------------------------------------------------------------------
// A01: the file cannot be read

TEST(PbtxtLoaderTest, A01MissingFile) {
  testing::ScratchDir dir("pbtxt_loader");
  std::string path = dir.path("absent.pbtxt");
  IoError e = expectError<IoError>([&] { loadGraphFile(path); },
                                   "cannot open: No such file or directory", 0);
  EXPECT_EQ(e.loc().file, path);
  EXPECT_EQ(e.exitCode(), ExitCode::Resource);
}

TEST(PbtxtLoaderTest, A01PathIsADirectory) {
  testing::ScratchDir dir("pbtxt_loader");
  fs::create_directory(dir.path("d.pbtxt"));
  IoError e = expectError<IoError>([&] { loadGraphFile(dir.path("d.pbtxt")); },
                                   "Is a directory", 0);
  EXPECT_EQ(e.loc().file, dir.path("d.pbtxt"));
  expectError<IoError>([&] { loadGraphFile(dir.path("d.pbtxt") + "/"); },
                       "Is a directory", 0);
}

TEST(PbtxtLoaderTest, A01NoReadPermission) {
  // Root reads files regardless of their mode bits, so the case cannot be
  // produced when the suite runs as root.
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: mode 000 is readable";
  testing::ScratchDir dir("pbtxt_loader");
  std::string path = dir.write("locked.pbtxt", kExample);
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  expectError<IoError>([&] { loadGraphFile(path); },
                       "cannot open: Permission denied", 0);
}

// ---------------------------------------------------------------------------
// A02-A06: syntax and typing, reported at line:col

TEST(PbtxtLoaderTest, A02UnbalancedBraceAtEndOfFile) {
  // Reported just past the last visible character, not on the empty line
  // after the final newline.
  ParseError e = textError("node {\n  name: \"a\"\n\n",
                           "expected identifier, found end of file", 2);
  EXPECT_EQ(e.loc().col, 12);
  EXPECT_EQ(e.loc().file, "bad.pbtxt");
  EXPECT_EQ(e.exitCode(), ExitCode::BadInput);
}

TEST(PbtxtLoaderTest, A02StrayToken) {
  ParseError e = textError("name: \"x\"\nnode { name: \"a\" } <\n",
                           "expected identifier, found '<'", 2);
  EXPECT_EQ(e.loc().col, 20);
  EXPECT_EQ(std::string(e.what()).rfind("bad.pbtxt:2:20: error: ", 0), 0u)
      << e.what();
  textError("node { name: \"a\" }}", "expected identifier, found '}'", 1);
}

TEST(PbtxtLoaderTest, A03MisspelledField) {
  ParseError e = textError("\n\nnode { name: \"a\" inptu: \"x\" }",
                           "NodeDef has no field named 'inptu' (did you mean "
                           "'input'?); known fields: name, op, input, "
                           "output, attr",
                           3);
  EXPECT_EQ(e.loc().col, 18);
  textError("kernal_size: 3", "GraphDef has no field named 'kernal_size'", 1);
}

TEST(PbtxtLoaderTest, A04SingularFieldGivenTwice) {
  ParseError e = textError("name: \"a\"\nname: \"b\"",
                           "field 'name' given twice (it is not repeated)", 2);
  EXPECT_EQ(e.loc().col, 1);
  // Also when the first value is the default (explicit presence).
  textError("node {\n name: \"\"\n name: \"x\" }", "field 'name' given twice",
            3);
  textError("param { constant: false\nconstant: true }",
            "field 'constant' given twice", 2);
  textError("param { init { kind: \"ones\" }\ninit { kind: \"zeros\" } }",
            "field 'init' given twice", 2);
}

TEST(PbtxtLoaderTest, A05WrongLiteralType) {
  ParseError e = textError("input {\n  name: \"x\"\n  shape: [\"two\"] }",
                           "expected integer, found \"two\"", 3);
  EXPECT_EQ(e.loc().col, 11);
  textError("input { shape: [1.5] }", "expected integer, found '1.5'", 1);
  textError("node { name: 5 }", "expected string, found '5'", 1);
  textError("param { constant: maybe }", "invalid value for boolean field", 1);
}

TEST(PbtxtLoaderTest, A05IntegerOutOfRange) {
  ParseError e = textError("\nformat_version: 9999999999",
                           "integer out of range (9999999999)", 2);
  EXPECT_EQ(e.loc().col, 17);
  textError("input { shape: 99999999999999999999 }", "integer out of range", 1);
}

TEST(PbtxtLoaderTest, A06UnknownEnumValue) {
  ParseError e = textError("input {\n name: \"x\"\n dtype: F64 }",
                           "unknown dtype 'F64'; expected one of F32, I32", 3);
  EXPECT_EQ(e.loc().col, 9);
  // Numbers are accepted by the text syntax; the loader rejects unknown ones.
  e = textError("input {\n name: \"x\"\n dtype: 7 }",
                "input 'x': unknown dtype 7; expected one of F32, I32", 3);
  EXPECT_EQ(e.loc().col, 2);
  textError("param { name: \"p\"\n dtype: DT_INVALID }",
            "param 'p': dtype DT_INVALID is not allowed", 2);
}

// ---------------------------------------------------------------------------
// A07-A11: hostile and degenerate files

TEST(PbtxtLoaderTest, A07DeepNestingDoesNotOverflowTheStack) {
  textError(std::string(100000, '{'), "expected identifier, found '{'", 1);
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "node {\n";
  // The schema is three levels deep, so nesting stops at the second level.
  ParseError e = textError(deep, "NodeDef has no field named 'node'", 2);
  EXPECT_EQ(e.loc().col, 1);
  std::string attrs = "node { attr {";
  for (int i = 0; i < 100000; ++i) attrs += " attr {";
  textError(attrs, "AttrDef has no field named 'attr'", 1);
  std::string lists = "output: ";
  for (int i = 0; i < 100000; ++i) lists += "[";
  textError(lists, "expected string, found '['", 1);
}

TEST(PbtxtLoaderTest, A08OversizedFileIsRejectedBeforeReading) {
  testing::ScratchDir dir("pbtxt_loader");
  std::string path = dir.path("huge.pbtxt");
  {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    // Sparse: the size is real, the disk blocks are not.
    ASSERT_EQ(::ftruncate(fd, off_t(kMaxGraphFileBytes) + 1), 0);
    ::close(fd);
  }
  ParseError e = expectError<ParseError>(
      [&] { loadGraphFile(path); },
      "graph file too large: expected at most 268435456 bytes (256 MiB), "
      "found 268435457 bytes",
      0);
  EXPECT_EQ(e.loc().file, path);
  // Exactly at the limit is not rejected for its size.
  ASSERT_EQ(::truncate(path.c_str(), off_t(kMaxGraphFileBytes)), 0);
  expectError<ParseError>([&] { loadGraphFile(path); }, "NUL byte", 1);
}

TEST(PbtxtLoaderTest, A08EndlessStreamIsCutAtTheLimit) {
  if (!fs::exists("/dev/zero")) GTEST_SKIP() << "no /dev/zero";
  expectError<ParseError>([] { loadGraphFile("/dev/zero"); },
                          "graph file too large", 0);
}

TEST(PbtxtLoaderTest, A09NulBytesAndBinaryGarbage) {
  using namespace std::string_literals;
  ParseError e = textError("name: \"x\"\n\tnode { name: \"a\0b\" }"s,
                           "unexpected NUL byte: this is not a text graph", 2);
  EXPECT_EQ(e.loc().col, 24);  // the tab counts as 8 columns
  // An IDX image file passed as the model.
  textError("\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x1c"s, "NUL byte", 1);
  // Garbage without NUL bytes: any byte but NUL, in a fixed pseudo-random
  // order.
  std::string garbage;
  uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245u + 12345u;
    char c = char((x >> 16) & 0xFF);
    garbage += c ? c : '\x01';
  }
  expectError<ParseError>([&] { parseGraphText(garbage, "g.pbtxt"); }, "", 1);
  // A tokenizer error in the middle of an otherwise valid file.
  textError("name: \"x\"\nloss: \"unterminated\n", "", 2);
}

TEST(PbtxtLoaderTest, A09InvalidUtf8InStrings) {
  ParseError e = textError("node {\n  name: \"\xff\xfe\" }",
                           "node name is not valid UTF-8", 2);
  EXPECT_EQ(e.loc().col, 3);
  textError("node { name: \"n\" input: [\"ok\",\n \"\\300\\200\"] }",
            "node 'n': input name is not valid UTF-8", 2);
  textError("node { name: \"n\" attr { name: \"k\"\n s: \"\xed\xa0\x80\" } }",
            "attribute 'k' value is not valid UTF-8", 2);
  textError("output: \"a\\0b\"", "graph output name contains a NUL character",
            1);
  // Valid multi-byte UTF-8 is fine.
  EXPECT_EQ(parseGraphText("name: \"\xe2\x82\xac\xf0\x9f\x98\x80\"", "u").name,
            "\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(PbtxtLoaderTest, A09GarbageAsBinaryGraph) {
  testing::ScratchDir dir("pbtxt_loader");
  // Field 5 (node) declared with a length past the end.
  std::string path = dir.write("g.pb", std::string("\x2a\x7f\x01\x02", 4));
  expectError<ParseError>([&] { loadGraphFile(path); },
                          "not a valid binary graph (malformed protobuf wire "
                          "data)",
                          0);
  // Bytes that decode, but not as a graph: an unknown field.
  path = dir.write("u.pb", std::string("\x78\x05", 2));  // field 15, varint
  expectError<ParseError>([&] { loadGraphFile(path); },
                          "not a valid binary graph (fields unknown to this "
                          "schema)",
                          0);
  // A text graph given the binary extension.
  path = dir.write("t.pb", kExample);
  expectError<ParseError>([&] { loadGraphFile(path); },
                          "not a valid binary graph", 0);
  // Unknown enum numbers are rejected in binary too.
  path = dir.write("e.pb", std::string("\x1a\x02\x10\x09", 4));  // dtype 9
  expectError<ParseError>([&] { loadGraphFile(path); }, "unknown dtype 9", 0);
}

TEST(PbtxtLoaderTest, A09InvalidUtf8InBinaryGraphIsOneLineNamingTheField) {
  testing::ScratchDir dir("pbtxt_loader");
  // node { name: "\xff" }: field 5 (node) holding field 1 (name).
  std::string path = dir.write("n.pb", std::string("\x2a\x03\x0a\x01\xff", 5));
  ::testing::internal::CaptureStderr();
  expectError<ParseError>([&] { loadGraphFile(path); },
                          "not a valid binary graph: string field "
                          "'NodeDef.name' is not valid UTF-8",
                          0);
  // protobuf's own "[libprotobuf ERROR ...]" line stays silent.
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(PbtxtLoaderTest, A10HugeNamesAndManyNodes) {
  std::string big(1 << 20, 'n');
  Graph g = parseGraphText("node { name: \"" + big + "\" op: \"Relu\" }", "b");
  EXPECT_EQ(g.nodes.at(0).name, big);
  // Messages quoting a huge name are clipped.
  ParseError e =
      textError("node { name: \"" + big + "\" attr { name: \"" + big +
                    "\" i: 1 }\n attr { name: \"" + big + "\" i: 2 } }",
                "given twice (first at line 1)", 2);
  EXPECT_LT(std::string(e.what()).size(), 400u);

  std::string many;
  const int kNodes = 100000;
  for (int i = 0; i < kNodes; ++i)
    many += "node { name: \"n" + std::to_string(i) +
            "\" op: \"Relu\" input: \"v" + std::to_string(i) +
            "\" output: \"v" + std::to_string(i + 1) + "\" }\n";
  auto start = std::chrono::steady_clock::now();
  g = parseGraphText(many, "many.pbtxt");
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_EQ(g.nodes.size(), size_t(kNodes));
  expectLoc(g.nodes.back().loc, kNodes, 1, "many.pbtxt");
  EXPECT_EQ(g.nodes.back().inputLocs.at(0).line, kNodes);
  EXPECT_LT(secs, 25.0);

  // All on one line: per-value positions stay linear in the file size.
  std::string oneLine = many;
  for (char& c : oneLine)
    if (c == '\n') c = '\t';
  g = parseGraphText(oneLine, "line.pbtxt");
  ASSERT_EQ(g.nodes.size(), size_t(kNodes));
  EXPECT_EQ(g.nodes.back().loc.line, 1);
  EXPECT_GT(g.nodes.back().inputLocs.at(0).col, g.nodes.back().loc.col);
}

TEST(PbtxtLoaderTest, A11EmptyOrCommentOnlyFileGivesAnEmptyGraph) {
  testing::ScratchDir dir("pbtxt_loader");
  for (const char* text :
       {"", "# just a comment\n\n   # another\n", "\n\t \n"}) {
    std::string path = dir.write("empty.pbtxt", text);
    Graph g = loadGraphFile(path);
    EXPECT_TRUE(g.nodes.empty());
    EXPECT_TRUE(g.inputs.empty());
    EXPECT_TRUE(g.loss.empty());
    EXPECT_EQ(g.formatVersion, 1);
    EXPECT_EQ(g.file, path);
  }
  Graph g = loadGraphFile(dir.write("empty.pb", ""));
  EXPECT_TRUE(g.nodes.empty());
}

// ---------------------------------------------------------------------------
// Attributes (B18 and one value per attribute)

TEST(PbtxtLoaderTest, B18DuplicateAttribute) {
  const std::string text =
      "node { name: \"conv1\" op: \"Conv2D\"\n"
      "  attr { name: \"padding\" s: \"SAME\" }\n"
      "  attr { name: \"padding\" s: \"VALID\" } }";
  ParseError e = textError(text,
                           "node 'conv1' (Conv2D): attribute 'padding' given "
                           "twice (first at line 2)",
                           3);
  EXPECT_EQ(e.loc().col, 3);
  EXPECT_EQ(e.node(), "conv1");
  EXPECT_EQ(e.op(), "Conv2D");
}

TEST(PbtxtLoaderTest, AttributeWithoutValueOrName) {
  ParseError e = textError(
      "node { name: \"n\" op: \"Pool\"\n attr { name: \"k\" } }",
      "node 'n' (Pool): attribute 'k' has no value; expected one of i, f, s, "
      "ints, floats",
      2);
  EXPECT_EQ(e.loc().col, 2);
  textError("node { name: \"n\"\n attr { i: 3 } }", "attribute has no name", 2);
}

TEST(PbtxtLoaderTest, AttributeWithTwoValues) {
  ParseError e =
      textError("node { name: \"n\" attr { name: \"k\" ints: [1]\n  i: 2 } }",
                "attribute 'k' has more than one value (ints and i)", 2);
  EXPECT_EQ(e.loc().col, 3);  // at the second value
  textError("node { attr { name: \"k\" floats: 1\n ints: 2 } }",
            "has more than one value (floats and ints)", 2);
  // Two members of the oneof: protobuf's own check.
  textError("node { attr { name: \"k\" i: 1\n f: 2 } }",
            "field \"f\" is specified along with field \"i\", another member "
            "of oneof \"value\"",
            2);
}

TEST(PbtxtLoaderTest, InitializerWithoutKind) {
  ParseError e = textError("param { name: \"w\"\n init { low: 1 } }",
                           "param 'w': init has no kind", 2);
  EXPECT_EQ(e.loc().col, 2);
}

}  // namespace
}  // namespace tapeflow
