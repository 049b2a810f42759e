// train/solver.cpp - solver files and flags. One table (kFields)
// names every setting once: its flag, its proto field, its SolverConfig
// member, its allowed values and its help line. Parsing, overrides, help
// and printing all walk that table.
#include "train/solver.h"

#include "core/error.h"
#include "core/suggest.h"
#include "core/text_proto.h"
#include "train/solver.pb.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>
#include <variant>

namespace tapeflow {
namespace {

namespace gpb = ::google::protobuf;
using Tree = gpb::TextFormat::ParseInfoTree;
using C = SolverConfig;
using text_proto::clip;
using Member =
    std::variant<float C::*, int64_t C::*, int C::*, uint64_t C::*, bool C::*,
                 std::string C::*, std::vector<float> C::*>;

constexpr double kInf = std::numeric_limits<double>::infinity();
// The schema is flat; the limit only guards the parser's recursion.
constexpr int kRecursionLimit = 8;

/// One setting. Numbers (and list elements) must lie between lo and hi
/// (excluded when loOpen/hiOpen); strings must be one of `choices` (when
/// set) and non-empty (when nonEmpty).
struct FieldSpec {
  const char* section;
  const char* flag;
  const char* proto;
  Member member;
  const char* help;
  double lo = -kInf;
  bool loOpen = false;
  double hi = kInf;
  bool hiOpen = false;
  const char* choices = nullptr;  // comma-separated, no spaces
  bool nonEmpty = false;
};

// clang-format off
const FieldSpec kFields[] = {
  {.section = "optimizer", .flag = "optimizer", .proto = "optimizer", .member = &C::optimizer,
   .help = "update rule", .choices = "sgd,adam,adamw"},
  {.section = "optimizer", .flag = "lr", .proto = "lr", .member = &C::lr,
   .help = "base learning rate", .lo = 0, .loOpen = true},
  {.section = "optimizer", .flag = "momentum", .proto = "momentum", .member = &C::momentum,
   .help = "sgd momentum (0 = plain sgd)", .lo = 0, .hi = 1, .hiOpen = true},
  {.section = "optimizer", .flag = "nesterov", .proto = "nesterov", .member = &C::nesterov,
   .help = "sgd: nesterov momentum"},
  {.section = "optimizer", .flag = "beta1", .proto = "beta1", .member = &C::beta1,
   .help = "adam(w): decay of the gradient average", .lo = 0, .hi = 1, .hiOpen = true},
  {.section = "optimizer", .flag = "beta2", .proto = "beta2", .member = &C::beta2,
   .help = "adam(w): decay of the squared-gradient average", .lo = 0, .hi = 1, .hiOpen = true},
  {.section = "optimizer", .flag = "epsilon", .proto = "epsilon", .member = &C::epsilon,
   .help = "adam(w): added to the denominator", .lo = 0, .loOpen = true},
  {.section = "optimizer", .flag = "weight-decay", .proto = "weight_decay", .member = &C::weightDecay,
   .help = "L2 penalty added to the gradient (adamw: decoupled decay)", .lo = 0},
  {.section = "optimizer", .flag = "clip-norm", .proto = "clip_norm", .member = &C::clipNorm,
   .help = "clip gradients to this global L2 norm (0 = off)", .lo = 0},
  {.section = "schedule", .flag = "schedule", .proto = "schedule", .member = &C::schedule,
   .help = "learning-rate schedule", .choices = "constant,step,multistep,exponential,cosine"},
  {.section = "schedule", .flag = "gamma", .proto = "gamma", .member = &C::gamma,
   .help = "step/multistep/exponential: decay factor", .lo = 0, .loOpen = true},
  {.section = "schedule", .flag = "step-epochs", .proto = "step_epochs", .member = &C::stepEpochs,
   .help = "step: multiply the rate by gamma every this many epochs", .lo = 0, .loOpen = true},
  {.section = "schedule", .flag = "milestones", .proto = "milestones", .member = &C::milestones,
   .help = "multistep: increasing epochs at which the rate is multiplied by gamma", .lo = 0, .loOpen = true},
  {.section = "schedule", .flag = "min-lr", .proto = "min_lr", .member = &C::minLr,
   .help = "cosine: final learning rate", .lo = 0},
  {.section = "schedule", .flag = "warmup-epochs", .proto = "warmup_epochs", .member = &C::warmupEpochs,
   .help = "linear warm-up from 0 over this many epochs (0 = off)", .lo = 0},
  {.section = "run", .flag = "batch", .proto = "batch_size", .member = &C::batchSize,
   .help = "images per step", .lo = 1, .hi = 1 << 20},
  {.section = "run", .flag = "epochs", .proto = "epochs", .member = &C::epochs,
   .help = "passes over the training set", .lo = 1, .hi = 1000000},
  {.section = "run", .flag = "seed", .proto = "seed", .member = &C::seed,
   .help = "seed of initialisation, shuffling and augmentation"},
  {.section = "run", .flag = "threads", .proto = "threads", .member = &C::threads,
   .help = "worker threads (0 = all cores)", .lo = 0, .hi = 1024},
  {.section = "run", .flag = "eval-every", .proto = "eval_every_steps", .member = &C::evalEverySteps,
   .help = "evaluate on the test set every this many steps (0 = once per epoch)", .lo = 0},
  {.section = "run", .flag = "log-every", .proto = "log_every_steps", .member = &C::logEverySteps,
   .help = "print progress every this many steps (0 = once per epoch)", .lo = 0},
  {.section = "run", .flag = "checkpoint-every", .proto = "checkpoint_every_steps", .member = &C::checkpointEverySteps,
   .help = "write a checkpoint every this many steps (0 = once per epoch)", .lo = 0},
  {.section = "run", .flag = "keep", .proto = "keep_checkpoints", .member = &C::keepCheckpoints,
   .help = "checkpoints kept on disk (older ones are deleted)", .lo = 1, .hi = 1000},
  {.section = "data", .flag = "data", .proto = "data", .member = &C::data,
   .help = "directory with the MNIST-style IDX files", .nonEmpty = true},
  {.section = "data", .flag = "pad-to", .proto = "pad_to", .member = &C::padTo,
   .help = "zero-pad images to this size (0 = off)", .lo = 0, .hi = 4096},
  {.section = "data", .flag = "normalize", .proto = "normalize", .member = &C::normalize,
   .help = "pixel scaling: unit = x/255, standard = (x/255 - mean) / std", .choices = "unit,standard"},
  {.section = "data", .flag = "mean", .proto = "mean", .member = &C::mean,
   .help = "standard: mean subtracted after x/255"},
  {.section = "data", .flag = "std", .proto = "stddev", .member = &C::stddev,
   .help = "standard: divisor after subtracting the mean", .lo = 0, .loOpen = true},
  {.section = "data", .flag = "random-shift", .proto = "random_shift", .member = &C::randomShift,
   .help = "shift training images by up to this many pixels (0 = off)", .lo = 0, .hi = 64},
  {.section = "data", .flag = "shuffle", .proto = "shuffle", .member = &C::shuffle,
   .help = "reshuffle the training set every epoch"},
  {.section = "data", .flag = "drop-last", .proto = "drop_last", .member = &C::dropLast,
   .help = "training: skip the short last batch of an epoch (evaluation covers every sample)"},
  {.section = "data", .flag = "input-name", .proto = "input_name", .member = &C::inputName,
   .help = "graph input fed with the images", .nonEmpty = true},
  {.section = "data", .flag = "label-name", .proto = "label_name", .member = &C::labelName,
   .help = "graph input fed with the labels", .nonEmpty = true},
};
// clang-format on

// ---------------------------------------------------------------------------
// Values as text

/// Shortest text that reads back as the same number: plain decimals
/// (0.0001, 1048576) unless they are long and the exponent form is much
/// shorter (1e-8, 1e30).
template <class T>
std::string num(T v) {
  char buf[400];  // room for the longest fixed double
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  std::string fixed(buf, r.ec == std::errc() ? r.ptr : buf);
  r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t e = sci.find('e');  // "1e-08" -> "1e-8", "1e+30" -> "1e30"
  if (e != std::string::npos) {
    size_t digits = e + 1;
    if (sci[digits] == '+') sci.erase(digits, 1);
    if (sci[digits] == '-') ++digits;
    while (digits + 1 < sci.size() && sci[digits] == '0') sci.erase(digits, 1);
  }
  bool plain = fixed.size() <= 8 || fixed.size() <= sci.size() + 3;
  return !fixed.empty() && plain ? fixed : sci;
}

std::string escaped(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20 || u == 0x7f) {
      const char oct[] = {'\\', char('0' + (u >> 6)),
                          char('0' + ((u >> 3) & 7)), char('0' + (u & 7)), 0};
      out += oct;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string show(float v) { return num(v); }
std::string show(int64_t v) { return std::to_string(v); }
std::string show(int v) { return std::to_string(v); }
std::string show(uint64_t v) { return std::to_string(v); }
std::string show(bool v) { return v ? "true" : "false"; }
std::string show(const std::string& v) { return escaped(v); }
std::string show(const std::vector<float>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + num(v[i]);
  return out + "]";
}

std::string showField(const C& c, const FieldSpec& f) {
  return std::visit([&](auto m) { return show(c.*m); }, f.member);
}

/// A value as typed after its flag: strings bare, lists comma-separated.
std::string showFlag(const C& c, const FieldSpec& f) {
  return std::visit(
      [&](auto m) {
        using T = std::remove_cvref_t<decltype(c.*m)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return (c.*m).empty() ? std::string("\"\"") : c.*m;
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          std::string out;
          for (float v : c.*m) out += (out.empty() ? "" : ",") + num(v);
          return out.empty() ? std::string("\"\"") : out;
        } else {
          return show(c.*m);
        }
      },
      f.member);
}

std::string choiceList(const char* choices) {
  std::string out = choices;
  for (size_t p = out.find(','); p != std::string::npos;
       p = out.find(',', p + 2))
    out.replace(p, 1, ", ");
  return out;
}

/// "> 0", "in [0, 1)", ">= 1", "one of sgd, adam, adamw", or "".
std::string rangeText(const FieldSpec& f) {
  if (f.choices) return "one of " + choiceList(f.choices);
  if (f.nonEmpty) return "a non-empty string";
  bool lo = f.lo > -kInf, hi = f.hi < kInf;
  if (lo && hi)
    return "in " + std::string(f.loOpen ? "(" : "[") + num(f.lo) + ", " +
           num(f.hi) + (f.hiOpen ? ")" : "]");
  if (lo) return (f.loOpen ? "> " : ">= ") + num(f.lo);
  if (hi) return (f.hiOpen ? "< " : "<= ") + num(f.hi);
  return "";
}

// ---------------------------------------------------------------------------
// Checks: "" when the value is allowed, else "expected ..., found ...".

bool inRange(const FieldSpec& f, double v) {
  return (f.loOpen ? v > f.lo : v >= f.lo) && (f.hiOpen ? v < f.hi : v <= f.hi);
}

template <class T>
std::string check(const FieldSpec& f, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return "";
  } else {
    if constexpr (std::is_same_v<T, float>)
      if (!std::isfinite(v))
        return "expected a finite number, found " + show(v);
    if (!inRange(f, static_cast<double>(v)))
      return "expected " + rangeText(f) + ", found " + show(v);
    return "";
  }
}

std::string check(const FieldSpec& f, const std::string& v) {
  if (v.find('\0') != std::string::npos)
    return "expected text without NUL characters, found " + clip(show(v));
  if (f.nonEmpty && v.empty()) return "expected a non-empty string, found \"\"";
  if (!f.choices) return "";
  std::string all = std::string(",") + f.choices + ",";
  if (!v.empty() && all.find("," + v + ",") != std::string::npos) return "";
  return "unknown value " + clip(show(v)) + "; expected one of " +
         choiceList(f.choices);
}

std::string check(const FieldSpec& f, const std::vector<float>& v) {
  for (size_t i = 0; i < v.size(); ++i) {
    std::string err = check(f, v[i]);
    if (!err.empty()) return err;
    if (i > 0 && !(v[i] > v[i - 1]))
      return "expected increasing values, found " + show(v[i]) + " after " +
             show(v[i - 1]);
  }
  return "";
}

// ---------------------------------------------------------------------------
// Reading values from a parsed SolverDef

template <class T>
T readProto(const gpb::Message& m, const gpb::FieldDescriptor* fd) {
  const gpb::Reflection* r = m.GetReflection();
  if constexpr (std::is_same_v<T, float>) {
    return r->GetFloat(m, fd);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return r->GetInt64(m, fd);
  } else if constexpr (std::is_same_v<T, int>) {
    return r->GetInt32(m, fd);
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    return r->GetUInt64(m, fd);
  } else if constexpr (std::is_same_v<T, bool>) {
    return r->GetBool(m, fd);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return r->GetString(m, fd);
  } else {
    static_assert(std::is_same_v<T, std::vector<float>>);
    std::vector<float> v(static_cast<size_t>(r->FieldSize(m, fd)));
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = r->GetRepeatedFloat(m, fd, static_cast<int>(i));
    return v;
  }
}

const gpb::FieldDescriptor* protoField(const FieldSpec& f) {
  const gpb::FieldDescriptor* fd =
      proto::SolverDef::descriptor()->FindFieldByName(f.proto);
  TAPEFLOW_ASSERT(fd && "every kFields entry names a SolverDef field");
  return fd;
}

// ---------------------------------------------------------------------------
// Reading values from flags

std::string trimmed(const std::string& s) {
  size_t a = s.find_first_not_of(' ');
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(' ') - a + 1);
}

template <class T>
std::string parseFlag(const FieldSpec& f, const std::string& s, T* out) {
  if constexpr (std::is_same_v<T, std::string>) {
    *out = s;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (s.empty() || s == "true" || s == "1") {  // a bare `--nesterov`
      *out = true;
    } else if (s == "false" || s == "0") {
      *out = false;
    } else {
      return "expected true or false, found '" + clip(s) + "'";
    }
  } else if constexpr (std::is_same_v<T, std::vector<float>>) {
    out->clear();
    if (trimmed(s).empty()) return "";  // an empty list
    for (size_t start = 0;;) {
      size_t comma = s.find(',', start);
      float v = 0;
      std::string err = parseFlag(f, s.substr(start, comma - start), &v);
      if (!err.empty()) return err;
      out->push_back(v);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    std::string t = trimmed(s);
    if (!t.empty() && t[0] == '+') t.erase(0, 1);
    const char* end = t.data() + t.size();
    if constexpr (std::is_same_v<T, float>) {
      double d = 0;  // as protobuf reads floats: a double, then rounded
      auto r = std::from_chars(t.data(), end, d);
      if (t.empty() || r.ec == std::errc::invalid_argument || r.ptr != end)
        return "expected a number, found '" + clip(s) + "'";
      if (r.ec == std::errc::result_out_of_range ||
          !std::isfinite(static_cast<float>(d)))
        return "expected a finite number, found '" + clip(s) + "'";
      *out = static_cast<float>(d);
    } else {
      auto r = std::from_chars(t.data(), end, *out);
      if (t.empty() || r.ec == std::errc::invalid_argument || r.ptr != end)
        return "expected an integer, found '" + clip(s) + "'";
      if (r.ec == std::errc::result_out_of_range) {
        std::string range = rangeText(f);
        return "expected " + (range.empty() ? "a smaller integer" : range) +
               ", found '" + clip(s) + "'";
      }
    }
  }
  return "";
}

// ---------------------------------------------------------------------------
// Reading the file (core/text_proto words the errors)

const text_proto::ParseSpec& parseSpec() {
  static const text_proto::ParseSpec spec = [] {
    text_proto::ParseSpec p;
    p.recursionLimit = kRecursionLimit;
    p.nulHint = "a solver file is protobuf text";
    p.cannotParse = "cannot parse the solver file";
    p.namesMessageType = false;
    return p;
  }();
  return spec;
}

const text_proto::ReadSpec& readSpec() {
  static const text_proto::ReadSpec spec = [] {
    text_proto::ReadSpec r;
    r.maxBytes = kMaxSolverFileBytes;
    r.tooLarge = "solver file too large: expected at most " +
                 std::to_string(kMaxSolverFileBytes) + " bytes";
    r.cannotOpen = "cannot open solver file";
    r.cannotStat = "cannot stat solver file";
    r.isDirectory = "cannot read solver file";
    r.readFailed = "cannot read solver file";
    return r;
  }();
  return spec;
}

std::string dashed(std::string s) {
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public entry points

SolverConfig parseSolverText(const std::string& text,
                             const std::string& fileName) {
  proto::SolverDef def;
  Tree tree;
  text_proto::parseText(text, fileName, parseSpec(), &def, &tree);
  SolverConfig c;
  const gpb::Reflection* r = def.GetReflection();
  for (const FieldSpec& f : kFields) {
    const gpb::FieldDescriptor* fd = protoField(f);
    if (fd->is_repeated() ? r->FieldSize(def, fd) == 0 : !r->HasField(def, fd))
      continue;
    std::string err = std::visit(
        [&](auto m) {
          using T = std::remove_cvref_t<decltype(c.*m)>;
          T v = readProto<T>(def, fd);
          std::string e = check(f, v);
          if (e.empty()) c.*m = std::move(v);
          return e;
        },
        f.member);
    if (!err.empty())
      throw ParseError(
          text_proto::fieldLoc(&tree, fd, fileName, SourceLoc{fileName, 0, 0}),
          "", "", "field '" + std::string(f.proto) + "': " + err);
  }
  return c;
}

SolverConfig loadSolverFile(const std::string& path) {
  return parseSolverText(text_proto::readFileCapped(path, readSpec()), path);
}

void applyOverride(SolverConfig& c, const std::string& flag,
                   const std::string& value) {
  std::string name =
      flag.substr(std::min(flag.find_first_not_of('-'), flag.size()));
  const FieldSpec* spec = nullptr;
  for (const FieldSpec& f : kFields)
    if (name == f.flag) spec = &f;
  if (!spec) {
    std::vector<std::string> flags;
    std::string hint;
    for (const FieldSpec& f : kFields) {
      flags.push_back(f.flag);
      if (name == dashed(f.proto) || name == f.proto)
        hint = " (did you mean '--" + std::string(f.flag) + "'?)";
    }
    if (hint.empty()) hint = didYouMean(name, flags, "--");
    throw UsageError(SourceLoc{}, "", "",
                     "unknown flag '--" + clip(name) + "'" + hint);
  }
  std::string err = std::visit(
      [&](auto m) {
        using T = std::remove_cvref_t<decltype(c.*m)>;
        T v{};
        std::string e = parseFlag(*spec, value, &v);
        if (e.empty()) e = check(*spec, v);
        if (e.empty()) c.*m = std::move(v);
        return e;
      },
      spec->member);
  if (!err.empty())
    throw UsageError(SourceLoc{}, "", "",
                     "--" + std::string(spec->flag) + ": " + err);
}

std::string solverFlagsHelp() {
  const SolverConfig defaults;
  std::string out, section;
  for (const FieldSpec& f : kFields) {
    if (section != f.section) {
      section = f.section;
      out += section + ":\n";
    }
    std::string head =
        "  --" + std::string(f.flag) + " " + showFlag(defaults, f);
    if (head.size() < 30)
      head.resize(30, ' ');
    else
      head += "  ";
    std::string range = rangeText(f);
    out += head + f.help + (range.empty() ? "" : " [" + range + "]");
    out += "; file: " + std::string(f.proto) + "\n";
  }
  return out;
}

std::vector<SolverFlag> solverFlags() {
  const SolverConfig defaults;
  std::vector<SolverFlag> out;
  for (const FieldSpec& f : kFields) {
    SolverFlag sf;
    sf.name = f.flag;
    sf.section = f.section;
    std::string range = rangeText(f);
    sf.help = f.help + (range.empty() ? "" : " [" + range + "]") +
              "; file: " + f.proto;
    sf.defaultText = showFlag(defaults, f);
    sf.isBool = std::holds_alternative<bool C::*>(f.member);
    out.push_back(std::move(sf));
  }
  return out;
}

std::string solverToText(const SolverConfig& c) {
  std::string out, section;
  for (const FieldSpec& f : kFields) {
    if (section != f.section) {
      section = f.section;
      out += std::string(out.empty() ? "" : "\n") + "# " + section + "\n";
    }
    std::string line = std::string(f.proto) + ": " + showField(c, f);
    if (line.size() < 32)
      line.resize(32, ' ');
    else
      line += "  ";
    out += line + "# " + f.help + "\n";
  }
  return out;
}

}  // namespace tapeflow
