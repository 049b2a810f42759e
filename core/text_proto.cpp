// core/text_proto.cpp - protobuf text reading: capped file reads, string
// checks, and protobuf's syntax errors reworded to our style at the position
// of the word they are about.
#include "core/text_proto.h"

#include "core/suggest.h"

#include <google/protobuf/io/tokenizer.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

namespace tapeflow::text_proto {
namespace {

namespace gpb = ::google::protobuf;

constexpr size_t kReadChunk = size_t{1} << 16;

/// A file descriptor closed on scope exit (when still >= 0).
struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

[[noreturn]] void ioFail(const std::string& path, const std::string& what,
                         int err) {
  throw IoError(SourceLoc{path, 0, 0}, "", "",
                what + ": " + std::strerror(err));
}

[[noreturn]] void tooLarge(const std::string& path, const ReadSpec& spec,
                           const std::string& found) {
  throw ParseError(SourceLoc{path, 0, 0}, "", "",
                   spec.tooLarge + ", found " + found);
}

/// Keeps protobuf's first syntax error (0-based position).
class FirstError : public gpb::io::ErrorCollector {
 public:
  void AddError(int errLine, gpb::io::ColumnNumber errCol,
                const std::string& message) override {
    if (has) return;
    has = true;
    line = errLine;
    col = errCol;
    msg = message;
  }
  bool has = false;
  int line = 0, col = 0;
  std::string msg;
};

std::string lowerFirst(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = char(s[0] - 'A' + 'a');
  return s;
}

std::string trimmed(const std::string& s) {
  size_t a = s.find_first_not_of(' ');
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(' ') - a + 1);
}

/// The text between the first `"` after `from` and the next `"`.
bool quotedAfter(const std::string& m, const std::string& from,
                 std::string* out) {
  size_t p = m.find(from);
  if (p == std::string::npos) return false;
  size_t a = m.find('"', p + from.size());
  if (a == std::string::npos) return false;
  size_t b = m.find('"', a + 1);
  if (b == std::string::npos) return false;
  *out = m.substr(a + 1, b - a - 1);
  return true;
}

/// "Message type X has no field named y": our wording, with the closest
/// field and every field of X.
std::string unknownField(const gpb::Descriptor& d, const std::string& name,
                         const ParseSpec& spec) {
  std::vector<std::string> fields;
  std::string known;
  for (int i = 0; i < d.field_count(); ++i) {
    fields.push_back(d.field(i)->name());
    known += (i ? ", " : "") + d.field(i)->name();
  }
  std::string lead = spec.namesMessageType
                         ? d.name() + " has no field named " + quoted(name)
                         : "unknown field " + quoted(name);
  return lead + didYouMean(name, fields) + "; known fields: " + known;
}

/// "Unknown enumeration value of y for field f": the allowed values of the
/// enum of field `field` (of any message in root's file), 0 (the invalid
/// default) left out; "" when no such field is found.
std::string unknownEnum(const gpb::Descriptor& root, const std::string& field,
                        const std::string& value) {
  const gpb::FileDescriptor* file = root.file();
  for (int i = 0; i < file->message_type_count(); ++i) {
    const gpb::FieldDescriptor* f =
        file->message_type(i)->FindFieldByName(field);
    if (!f || !f->enum_type()) continue;
    std::string known;
    for (int v = 0; v < f->enum_type()->value_count(); ++v) {
      if (f->enum_type()->value(v)->number() == 0) continue;
      known += (known.empty() ? "" : ", ") + f->enum_type()->value(v)->name();
    }
    return "unknown " + field + " " + quoted(value) + "; expected one of " +
           known;
  }
  return "";
}

/// Protobuf's message in our style. For the messages protobuf reports just
/// after the word they are about (unknown field, field given twice, unknown
/// enum value, second oneof member), *word receives that word.
std::string rephrase(std::string m, const gpb::Descriptor& root,
                     const ParseSpec& spec, std::string* word) {
  for (char& c : m)
    if (c == '\n' || c == '\r') c = ' ';
  while (!m.empty() && (m.back() == '.' || m.back() == ' ')) m.pop_back();
  auto starts = [&](const char* prefix) { return m.rfind(prefix, 0) == 0; };

  std::string type, name;
  if (starts("Message type ") && quotedAfter(m, "Message type ", &type) &&
      quotedAfter(m, "no field named ", &name)) {
    *word = name;
    const gpb::Descriptor* d =
        gpb::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
    if (d) return unknownField(*d, name, spec);
  }
  if (starts("Unknown enumeration value") &&
      quotedAfter(m, "value of ", &name) &&
      quotedAfter(m, "for field ", &type)) {
    *word = name;
    std::string msg = unknownEnum(root, type, name);
    if (!msg.empty()) return msg;
  }
  if (starts("Non-repeated field ") &&
      quotedAfter(m, "Non-repeated field ", &name)) {
    *word = name;
    return "field " + quoted(name) + " given twice (it is not repeated)";
  }
  if (starts("Field ") && quotedAfter(m, "Field ", &name)) *word = name;
  if (starts("Message is too deep"))
    return "nesting too deep (limit " + std::to_string(spec.recursionLimit) +
           ")";
  size_t got = m.find(", got:");
  if (got != std::string::npos) {
    std::string token = trimmed(m.substr(got + 6));
    if (token.empty())
      token = "end of file";
    else if (token[0] != '"' && token[0] != '\'')
      token = "'" + token + "'";
    m = m.substr(0, got) + ", found " + token;
  }
  return lowerFirst(m);
}

/// Moves a 0-based position back onto `word` when only blanks separate the
/// two (protobuf reports some errors just after the word); otherwise leaves
/// it.
void pointAtWord(const std::string& text, const std::string& word, int& line,
                 int& col) {
  if (word.empty()) return;
  int l = 0, c = 0;
  size_t i = 0;
  while (i < text.size() && (l < line || (l == line && c < col)))
    advancePos(text[i++], l, c);
  if (l != line || c != col) return;
  size_t end = i;
  while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1])))
    --end;
  if (end < word.size() || text.compare(end - word.size(), word.size(), word))
    return;
  size_t start = end - word.size();
  if (start > 0 && (std::isalnum(static_cast<unsigned char>(text[start - 1])) ||
                    text[start - 1] == '_'))
    return;
  line = col = 0;
  for (size_t k = 0; k < start; ++k) advancePos(text[k], line, col);
}

[[noreturn]] void syntaxError(const std::string& text,
                              const std::string& fileName,
                              const gpb::Descriptor& root,
                              const ParseSpec& spec, const FirstError& e) {
  int line = e.line, col = e.col;
  std::string word;
  std::string msg = rephrase(e.msg, root, spec, &word);
  pointAtWord(text, word, line, col);
  // Protobuf puts the end of file after the last newline, on a line editors
  // do not show; point just past the last visible character instead.
  const std::string eof = "found end of file";
  if (msg.size() >= eof.size() &&
      msg.compare(msg.size() - eof.size(), eof.size(), eof) == 0) {
    size_t end = text.find_last_not_of(" \t\r\n\v\f");
    line = col = 0;
    if (end != std::string::npos)
      for (size_t i = 0; i <= end; ++i) advancePos(text[i], line, col);
  }
  throw ParseError(SourceLoc{fileName, line + 1, col + 1}, "", "", msg);
}

}  // namespace

std::string clip(const std::string& s) {
  if (s.size() <= kMaxQuoted) return s;
  return s.substr(0, kMaxQuoted) + "...";
}

std::string quoted(const std::string& s) { return "'" + clip(s) + "'"; }

void advancePos(char c, int& line, int& col) {
  if (c == '\n') {
    ++line;
    col = 0;
  } else if (c == '\t') {
    col += 8 - col % 8;
  } else {
    ++col;
  }
}

bool validUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;  // range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (n - i < len) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    i += len;
  }
  return true;
}

void checkString(const std::string& s, const SourceLoc& loc,
                 const std::string& what, const std::string& node,
                 const std::string& op) {
  if (s.find('\0') != std::string::npos)
    throw ParseError(loc, node, op, what + " contains a NUL character");
  if (!validUtf8(s))
    throw ParseError(loc, node, op, what + " is not valid UTF-8");
}

SourceLoc fieldLoc(const ParseInfoTree* tree, const gpb::FieldDescriptor* f,
                   const std::string& fileName, const SourceLoc& fallback) {
  if (!tree) return fallback;
  gpb::TextFormat::ParseLocation l =
      tree->GetLocation(f, f->is_repeated() ? 0 : -1);
  if (l.line < 0) return fallback;
  return SourceLoc{fileName, l.line + 1, l.column + 1};
}

std::string readFileCapped(const std::string& path, const ReadSpec& spec) {
  Fd f;
  do {
    f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (f.fd < 0 && errno == EINTR);
  if (f.fd < 0) ioFail(path, spec.cannotOpen, errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) ioFail(path, spec.cannotStat, errno);
  if (S_ISDIR(st.st_mode)) ioFail(path, spec.isDirectory, EISDIR);
  std::string data;
  if (S_ISREG(st.st_mode)) {
    if (static_cast<uint64_t>(st.st_size) > spec.maxBytes)
      tooLarge(path, spec, std::to_string(st.st_size) + " bytes");
    data.reserve(static_cast<size_t>(st.st_size));
  }
  std::vector<char> buf(kReadChunk);
  for (;;) {
    ssize_t r = ::read(f.fd, buf.data(), buf.size());
    if (r < 0) {
      if (errno == EINTR) continue;
      ioFail(path, spec.readFailed, errno);
    }
    if (r == 0) break;
    size_t n = static_cast<size_t>(r);
    if (data.size() + n > spec.maxBytes)
      tooLarge(path, spec, "more (the file grew or never ends)");
    if (data.capacity() < data.size() + n)  // grow, but never far past the cap
      data.reserve(std::min<size_t>(
          std::max(data.capacity() * 2, data.size() + n), spec.maxBytes));
    data.append(buf.data(), n);
  }
  return data;
}

void parseText(const std::string& text, const std::string& fileName,
               const ParseSpec& spec, gpb::Message* msg, ParseInfoTree* tree) {
  // A NUL never occurs in protobuf text; name the likely mistake instead of
  // the tokenizer's complaint about it.
  size_t nul = text.find('\0');
  if (nul != std::string::npos) {
    int line = 0, col = 0;
    for (size_t i = 0; i < nul; ++i) advancePos(text[i], line, col);
    throw ParseError(SourceLoc{fileName, line + 1, col + 1}, "", "",
                     "unexpected NUL byte: " + spec.nulHint);
  }
  FirstError errors;
  gpb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (tree) parser.WriteLocationsTo(tree);
  parser.SetRecursionLimit(spec.recursionLimit);
  if (!parser.ParseFromString(text, msg) || errors.has) {
    if (!errors.has)
      throw ParseError(SourceLoc{fileName, 0, 0}, "", "", spec.cannotParse);
    syntaxError(text, fileName, *msg->GetDescriptor(), spec, errors);
  }
}

}  // namespace tapeflow::text_proto
