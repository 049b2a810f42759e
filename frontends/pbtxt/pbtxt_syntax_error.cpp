// frontends/pbtxt/pbtxt_syntax_error.cpp - protobuf's text-format syntax
// errors reworded to our style (with "did you mean" and the known names), at
// the position of the word they are about.
#include "frontends/pbtxt/pbtxt_internal.h"

#include "frontends/pbtxt/graph.pb.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace tapeflow::pbtxt_detail {
namespace {

namespace gpb = ::google::protobuf;

std::string lowerFirst(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = char(s[0] - 'A' + 'a');
  return s;
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

std::string joinFieldNames(const gpb::Descriptor* d) {
  std::string out;
  for (int i = 0; i < d->field_count(); ++i)
    out += (i ? ", " : "") + d->field(i)->name();
  return out;
}

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min(
          {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

/// Protobuf's message in our style. For the messages protobuf reports just
/// after the word they are about (unknown field, field given twice, unknown
/// enum value, second oneof member), *word receives that word.
std::string rephrase(std::string m, std::string* word) {
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
    if (d) {
      std::string msg = d->name() + " has no field named " + quoted(name);
      const gpb::FieldDescriptor* best = nullptr;
      size_t bestDist = 3;
      for (int i = 0; i < d->field_count(); ++i) {
        size_t dist = editDistance(name, d->field(i)->name());
        if (dist < bestDist) bestDist = dist, best = d->field(i);
      }
      if (best) msg += " (did you mean '" + best->name() + "'?)";
      return msg + "; known fields: " + joinFieldNames(d);
    }
  }
  if (starts("Unknown enumeration value") &&
      quotedAfter(m, "value of ", &name) &&
      quotedAfter(m, "for field ", &type)) {
    *word = name;
    const gpb::FileDescriptor* file = proto::GraphDef::descriptor()->file();
    for (int i = 0; i < file->message_type_count(); ++i) {
      const gpb::FieldDescriptor* f =
          file->message_type(i)->FindFieldByName(type);
      if (!f || !f->enum_type()) continue;
      std::string known;
      for (int v = 0; v < f->enum_type()->value_count(); ++v) {
        if (f->enum_type()->value(v)->number() == 0) continue;  // DT_INVALID
        known += (known.empty() ? "" : ", ") + f->enum_type()->value(v)->name();
      }
      return "unknown " + type + " " + quoted(name) + "; expected one of " +
             known;
    }
  }
  if (starts("Non-repeated field ") &&
      quotedAfter(m, "Non-repeated field ", &name)) {
    *word = name;
    return "field " + quoted(name) + " given twice (it is not repeated)";
  }
  if (starts("Field ") && quotedAfter(m, "Field ", &name)) *word = name;
  if (starts("Message is too deep"))
    return "nesting too deep (limit " + std::to_string(kRecursionLimit) + ")";
  size_t got = m.find(", got:");
  if (got != std::string::npos) {
    std::string token = m.substr(got + 6);
    while (!token.empty() && token[0] == ' ') token.erase(0, 1);
    if (token.empty())
      token = "end of file";
    else if (token[0] != '"' && token[0] != '\'')
      token = "'" + token + "'";
    m = m.substr(0, got) + ", found " + token;
  }
  return lowerFirst(m);
}

/// Moves a 0-based position back onto `word` when only blanks separate the
/// two; otherwise leaves it.
void pointAtWord(const std::string& text, const std::string& word, int& line,
                 int& col) {
  if (word.empty()) return;
  int l = 0, c = 0;
  size_t i = 0;
  while (i < text.size() && (l < line || (l == line && c < col)))
    advancePos(text[i++], l, c);
  if (l != line || c != col) return;
  size_t end = i;
  while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\t' ||
                     text[end - 1] == '\r' || text[end - 1] == '\n'))
    --end;
  if (end < word.size() || text.compare(end - word.size(), word.size(), word))
    return;
  size_t start = end - word.size();
  if (start > 0) {
    char before = text[start - 1];
    if (std::isalnum(static_cast<unsigned char>(before)) || before == '_')
      return;
  }
  l = 0, c = 0;
  for (size_t k = 0; k < start; ++k) advancePos(text[k], l, c);
  line = l;
  col = c;
}

}  // namespace

ParseError syntaxError(const std::string& text, const std::string& fileName,
                       int line, int col, const std::string& protobufMessage) {
  std::string word;
  std::string msg = rephrase(protobufMessage, &word);
  pointAtWord(text, word, line, col);
  // Protobuf puts the end of file after the last newline, on a line
  // editors do not show; point just past the last visible character.
  if (endsWith(msg, "found end of file")) {
    size_t end = text.find_last_not_of(" \t\r\n\v\f");
    line = col = 0;
    if (end != std::string::npos)
      for (size_t i = 0; i <= end; ++i) advancePos(text[i], line, col);
  }
  return ParseError(SourceLoc{fileName, line + 1, col + 1}, "", "", msg);
}

}  // namespace tapeflow::pbtxt_detail
