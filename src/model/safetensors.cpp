#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "model/safetensors_header.h"

namespace clipforge {
namespace {

torch::ScalarType torch_type(SafetensorsDtype dtype) {
  switch (dtype) {
    case SafetensorsDtype::kF64: return torch::kDouble;
    case SafetensorsDtype::kF32: return torch::kFloat;
    case SafetensorsDtype::kF16: return torch::kHalf;
    case SafetensorsDtype::kBF16: return torch::kBFloat16;
    case SafetensorsDtype::kI64: return torch::kLong;
    case SafetensorsDtype::kI32: return torch::kInt;
    case SafetensorsDtype::kI16: return torch::kShort;
    case SafetensorsDtype::kI8: return torch::kChar;
    case SafetensorsDtype::kU8: return torch::kByte;
    case SafetensorsDtype::kBool: return torch::kBool;
  }
  throw std::logic_error("unhandled safetensors dtype");
}

std::string dtype_name(torch::ScalarType type) {
  for (auto d : {SafetensorsDtype::kF64, SafetensorsDtype::kF32, SafetensorsDtype::kF16, SafetensorsDtype::kBF16,
                 SafetensorsDtype::kI64, SafetensorsDtype::kI32, SafetensorsDtype::kI16, SafetensorsDtype::kI8,
                 SafetensorsDtype::kU8, SafetensorsDtype::kBool})
    if (torch_type(d) == type) return clipforge::dtype_name(d);
  throw mismatch_error(std::string("safetensors cannot store dtype ") + c10::toString(type));
}

// A read-only mapping of the whole file, so multi-gigabyte weights are not copied twice.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw input_error(path + ": cannot open (" + std::strerror(errno) + ")");
    struct stat st;
    if (::fstat(fd_, &st) != 0) fail(path + ": cannot stat (" + std::strerror(errno) + ")");
    size_ = static_cast<std::uint64_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (p == MAP_FAILED) fail(path + ": cannot map (" + std::strerror(errno) + ")");
      data_ = static_cast<const unsigned char*>(p);
    }
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<unsigned char*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const unsigned char* data() const { return data_; }
  std::uint64_t size() const { return size_; }

 private:
  // A throwing constructor runs no destructor: close the file first.
  [[noreturn]] void fail(const std::string& message) {
    ::close(fd_);
    throw input_error(message);
  }

  int fd_ = -1;
  const unsigned char* data_ = nullptr;
  std::uint64_t size_ = 0;
};

}  // namespace

SafetensorsFile read_safetensors(const std::string& path) {
  MappedFile file(path);
  const SafetensorsLayout layout = parse_safetensors_layout(file.data(), file.size(), path);
  SafetensorsFile out;
  out.metadata = layout.metadata;
  for (const SafetensorsEntry& e : layout.entries) {
    torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(torch_type(e.dtype)));
    if (e.end > e.begin) std::memcpy(t.data_ptr(), file.data() + layout.data_start + e.begin, e.end - e.begin);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, torch::Tensor>> ordered;
  for (const auto& [name, tensor] : tensors) ordered.emplace_back(name, tensor.detach().to(torch::kCPU).contiguous());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.second.element_size() > b.second.element_size(); });

  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : ordered) {
    const std::uint64_t bytes = t.numel() * t.element_size();
    header[name] = {{"dtype", dtype_name(t.scalar_type())}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');

  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>((text.size() >> (8 * i)) & 0xff);
  AtomicFileWriter out(path);
  out.write(length, 8);
  out.write(text.data(), text.size());
  for (const auto& entry : ordered) out.write(entry.second.data_ptr(), entry.second.numel() * entry.second.element_size());
  out.commit();
}

}  // namespace clipforge
