// train/data/data_source.cpp - the IDX directory and in-memory sources.
#include "train/data/data_source.h"

#include <cstring>
#include <set>

#include "core/error.h"

namespace tapeflow {
namespace {

// 64-bit FNV-1a, continuing from `h`.
uint64_t fnv1a(const void* data, size_t n, uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

int DataSource::findField(const std::string& name) const {
  const std::vector<FieldSpec>& f = fields();
  for (size_t i = 0; i < f.size(); ++i)
    if (f[i].name == name) return int(i);
  return -1;
}

std::string DataSource::describeFields() const {
  std::string s;
  for (const FieldSpec& f : fields())
    s += (s.empty() ? "" : ", ") + f.name + " " + dimsStr(f.dims) + " " + dtypeName(f.dtype);
  return s;
}

// ---------------------------------------------------------------- IDX

IdxDirSource::IdxDirSource(const std::string& dir, const std::string& split, int numClasses)
    : data_(data::loadMnistDir(dir, split, numClasses)), dir_(dir), split_(split) {
  FieldSpec image;
  image.name = "image";
  image.dtype = DType::F32;
  image.dims = {1, data_.images.rows, data_.images.cols};
  image.image = true;
  FieldSpec label;
  label.name = "label";
  label.dtype = DType::I32;
  fields_ = {image, label};
}

void IdxDirSource::read(int64_t index, void* const* dst) const {
  const int64_t plane = data_.images.rows * data_.images.cols;
  const uint8_t* src = data_.images.pixels.data() + index * plane;
  float* image = static_cast<float*>(dst[0]);
  for (int64_t i = 0; i < plane; ++i) image[i] = float(src[i]);
  *static_cast<int32_t*>(dst[1]) = int32_t(data_.labels.labels[size_t(index)]);
}

std::string IdxDirSource::describe() const { return dir_ + " (" + split_ + " split)"; }

// ---------------------------------------------------------------- memory

InMemorySource::InMemorySource(std::vector<InMemoryTensor> tensors, std::string name)
    : tensors_(std::move(tensors)), name_(std::move(name)) {
  auto bad = [&](const std::string& what) { throw UsageError({}, "", "", name_ + ": " + what); };
  if (tensors_.empty()) bad("no tensors");
  std::set<std::string> names;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t k = 0; k < tensors_.size(); ++k) {
    const InMemoryTensor& t = tensors_[k];
    const FieldSpec& f = t.spec;
    if (f.name.empty() || !names.insert(f.name).second)
      bad("field names must be unique and not empty, found '" + f.name + "'");
    int64_t per = checkedNumel(f.dims);
    if (per <= 0) bad("field '" + f.name + "' has bad per-sample dims " + dimsStr(f.dims));
    size_t n = f.dtype == DType::F32 ? t.f32.size() : t.i32.size();
    if (n == 0 || n % size_t(per) != 0)
      bad("field '" + f.name + "' holds " + std::to_string(n) +
          " values, not a whole number of samples of " + dimsStr(f.dims));
    int64_t count = int64_t(n) / per;
    if (k > 0 && count != size_)
      bad("field '" + f.name + "' has " + std::to_string(count) + " samples, '" +
          tensors_[0].spec.name + "' has " + std::to_string(size_));
    size_ = count;
    fields_.push_back(f);
    h = fnv1a(f.name.data(), f.name.size(), h);
    h = f.dtype == DType::F32 ? fnv1a(t.f32.data(), n * sizeof(float), h)
                              : fnv1a(t.i32.data(), n * sizeof(int32_t), h);
  }
  fingerprint_ = h;
}

void InMemorySource::read(int64_t index, void* const* dst) const {
  for (size_t k = 0; k < tensors_.size(); ++k) {
    const InMemoryTensor& t = tensors_[k];
    const size_t per = size_t(numel(t.spec.dims));
    if (t.spec.dtype == DType::F32)
      std::memcpy(dst[k], t.f32.data() + size_t(index) * per, per * sizeof(float));
    else
      std::memcpy(dst[k], t.i32.data() + size_t(index) * per, per * sizeof(int32_t));
  }
}

}  // namespace tapeflow
