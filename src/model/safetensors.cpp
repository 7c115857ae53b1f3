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

namespace clipforge {
namespace {

using nlohmann::json;

struct DtypeName {
  const char* name;
  torch::ScalarType type;
};
constexpr DtypeName kDtypes[] = {
    {"F64", torch::kDouble}, {"F32", torch::kFloat}, {"F16", torch::kHalf},  {"BF16", torch::kBFloat16},
    {"I64", torch::kLong},   {"I32", torch::kInt},   {"I16", torch::kShort}, {"I8", torch::kChar},
    {"U8", torch::kByte},    {"BOOL", torch::kBool},
};

std::string dtype_name(torch::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.type == type) return d.name;
  throw mismatch_error(std::string("safetensors cannot store dtype ") + c10::toString(type));
}

// A read-only mapping of the whole file, so multi-gigabyte weights are not copied twice.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw input_error(path + ": cannot open (" + std::strerror(errno) + ")");
    struct stat st;
    if (::fstat(fd_, &st) != 0) throw input_error(path + ": cannot stat (" + std::strerror(errno) + ")");
    size_ = static_cast<std::uint64_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (p == MAP_FAILED) throw input_error(path + ": cannot map (" + std::strerror(errno) + ")");
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
  int fd_ = -1;
  const unsigned char* data_ = nullptr;
  std::uint64_t size_ = 0;
};

struct Entry {
  std::string name;
  torch::ScalarType dtype;
  std::vector<int64_t> shape;
  std::uint64_t begin, end;
};

std::uint64_t read_u64_le(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::uint64_t json_offset(const json& v, const std::string& where) {
  if (!v.is_number_unsigned()) throw input_error(where + ": expected a non-negative integer, got " + v.dump());
  return v.get<std::uint64_t>();
}

Entry parse_entry(const std::string& path, const std::string& name, const json& spec) {
  const std::string where = path + ": tensor '" + name + "'";
  if (!spec.is_object()) throw input_error(where + ": expected an object");
  for (const auto& [key, value] : spec.items())
    if (key != "dtype" && key != "shape" && key != "data_offsets") throw input_error(where + ": unknown field '" + key + "'");
  if (!spec.contains("dtype") || !spec.contains("shape") || !spec.contains("data_offsets"))
    throw input_error(where + ": needs dtype, shape and data_offsets");

  Entry e{name, torch::kFloat, {}, 0, 0};
  const json& dtype = spec.at("dtype");
  const auto* found = dtype.is_string() ? std::find_if(std::begin(kDtypes), std::end(kDtypes),
                                                       [&](const DtypeName& d) { return dtype.get<std::string>() == d.name; })
                                        : std::end(kDtypes);
  if (found == std::end(kDtypes)) throw input_error(where + ": unknown dtype " + dtype.dump());
  e.dtype = found->type;

  const json& shape = spec.at("shape");
  if (!shape.is_array()) throw input_error(where + ": shape must be an array");
  std::uint64_t numel = 1;
  for (const auto& d : shape) {
    const std::uint64_t n = json_offset(d, where + " shape");
    // Bound each factor so the running product cannot overflow before the size check below.
    if (n > (1ull << 40) || (n > 0 && numel > (1ull << 62) / n)) throw input_error(where + ": shape " + shape.dump() + " is too large");
    numel *= n;
    e.shape.push_back(static_cast<int64_t>(n));
  }
  const json& offsets = spec.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2) throw input_error(where + ": data_offsets must be [begin, end]");
  e.begin = json_offset(offsets[0], where + " data_offsets");
  e.end = json_offset(offsets[1], where + " data_offsets");
  if (e.end < e.begin) throw input_error(where + ": data_offsets " + offsets.dump() + " end before they begin");
  const std::uint64_t expected = numel * c10::elementSize(e.dtype);
  if (e.end - e.begin != expected)
    throw input_error(where + ": " + std::to_string(e.end - e.begin) + " bytes at offsets " + offsets.dump() +
                      " but shape " + shape.dump() + " x " + found->name + " needs " + std::to_string(expected));
  return e;
}

}  // namespace

SafetensorsFile read_safetensors(const std::string& path) {
  MappedFile file(path);
  if (file.size() < 8)
    throw input_error(path + ": truncated: " + std::to_string(file.size()) + " bytes, too short for a safetensors header");
  const std::uint64_t header_len = read_u64_le(file.data());
  if (header_len > kMaxSafetensorsHeader)
    throw input_error(path + ": header length " + std::to_string(header_len) + " exceeds the limit of " +
                      std::to_string(kMaxSafetensorsHeader) + " bytes");
  if (header_len > file.size() - 8)
    throw input_error(path + ": header length " + std::to_string(header_len) + " runs past the end of the file (" +
                      std::to_string(file.size()) + " bytes)");

  json header;
  try {
    header = json::parse(file.data() + 8, file.data() + 8 + header_len);
  } catch (const json::parse_error& e) {
    throw input_error(path + ": header is not valid JSON (at byte " + std::to_string(8 + e.byte) + ")");
  }
  if (!header.is_object()) throw input_error(path + ": header is not a JSON object");

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [name, spec] : header.items()) {
    if (name == "__metadata__") {
      if (!spec.is_object()) throw input_error(path + ": __metadata__ must be an object of strings");
      for (const auto& [key, value] : spec.items()) {
        if (!value.is_string()) throw input_error(path + ": __metadata__ '" + key + "' is not a string");
        out.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (name.empty()) throw input_error(path + ": a tensor has an empty name");
    entries.push_back(parse_entry(path, name, spec));
  }

  // The data buffer must be covered exactly: no overlaps, no holes, nothing past the end.
  const std::uint64_t data_start = 8 + header_len;
  const std::uint64_t data_size = file.size() - data_start;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.end > data_size)
      throw input_error(path + ": tensor '" + e.name + "': data_offsets [" + std::to_string(e.begin) + ", " +
                        std::to_string(e.end) + "] run past the end of the data (" + std::to_string(data_size) + " bytes)");
    if (e.begin < covered)
      throw input_error(path + ": tensor '" + e.name + "' at offset " + std::to_string(e.begin) + " overlaps '" +
                        previous->name + "' (ends at " + std::to_string(covered) + ")");
    if (e.begin > covered)
      throw input_error(path + ": unused bytes " + std::to_string(covered) + ".." + std::to_string(e.begin) +
                        " before tensor '" + e.name + "'");
    covered = e.end;
    previous = &e;
  }
  if (covered != data_size)
    throw input_error(path + ": " + std::to_string(data_size - covered) + " bytes after the last tensor (offset " +
                      std::to_string(covered) + ")");

  for (const Entry& e : entries) {
    torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype));
    if (e.end > e.begin) std::memcpy(t.data_ptr(), file.data() + data_start + e.begin, e.end - e.begin);
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
