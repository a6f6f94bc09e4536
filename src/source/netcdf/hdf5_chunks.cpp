#include "netcdf/hdf5_chunks.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "kerchunk/kerchunk_describe.hpp"

namespace zpmpi::source {
namespace {

using kerchunk::ChunkRef;
namespace json = boost::json;

/// Closes an HDF5 id of any kind when it goes out of scope.
class Id {
 public:
  explicit Id(hid_t id = -1) : id_(id) {}
  ~Id() {
    if (id_ >= 0) H5Idec_ref(id_);
  }
  Id(const Id&) = delete;
  Id& operator=(Id&& other) noexcept {
    std::swap(id_, other.id_);
    return *this;
  }
  hid_t get() const { return id_; }
  hid_t release() { return std::exchange(id_, -1); }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
};

/// The zarr dtype string of a stored integer, float or enum type ("<f4", ">i2", "|u1"),
/// or "" for any other class.
std::string zarr_dtype(hid_t type) {
  Id base;
  if (H5Tget_class(type) == H5T_ENUM) {
    base = Id(H5Tget_super(type));
    type = base.get();
  }
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  char kind = 0;
  if (cls == H5T_FLOAT) kind = 'f';
  else if (cls == H5T_INTEGER) kind = H5Tget_sign(type) == H5T_SGN_NONE ? 'u' : 'i';
  else return "";
  const char order = size == 1 ? '|' : H5Tget_order(type) == H5T_ORDER_BE ? '>' : '<';
  return std::string{order, kind} + std::to_string(size);
}

/// The pipeline's filters as codec ids in encode order ("zlib", "shuffle"), or the name of
/// the first one zpmpi does not decode in `unsupported`.
std::vector<json::object> pipeline(hid_t dcpl, std::size_t elem, std::string& unsupported) {
  std::vector<json::object> codecs;
  const int n = H5Pget_nfilters(dcpl);
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, config = 0;
    std::size_t nvalues = 8;
    unsigned values[8] = {};
    char name[64] = {};
    const H5Z_filter_t id = H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &nvalues, values, sizeof name,
                                           name, &config);
    if (id == H5Z_FILTER_DEFLATE) {
      codecs.push_back({{"id", "zlib"}, {"level", nvalues > 0 ? values[0] : 1}});
    } else if (id == H5Z_FILTER_SHUFFLE) {
      // HDF5 stores the element size it shuffled with as the first value.
      codecs.push_back({{"id", "shuffle"}, {"elementsize", nvalues > 0 && values[0] > 0 ? values[0] : elem}});
    } else {
      const std::string known = id == H5Z_FILTER_SZIP           ? "szip"
                                : id == H5Z_FILTER_FLETCHER32   ? "fletcher32"
                                : id == H5Z_FILTER_NBIT         ? "n-bit"
                                : id == H5Z_FILTER_SCALEOFFSET  ? "scale-offset"
                                                                : "";
      unsupported = "filter " + (known.empty() ? (name[0] ? std::string(name) + " " : std::string()) +
                                                     "(HDF5 filter id " + std::to_string(id) + ")"
                                               : known);
      return {};
    }
  }
  return codecs;
}

/// True when the error HDF5 just reported says the chunk was never written: 1.10's
/// H5Dget_chunk_storage_size fails for such a chunk instead of giving size 0, saying "chunk
/// address isn't defined" (or "chunk storage is not allocated" before the dataset's first
/// chunk). Clears the error stack.
bool failed_as_unallocated() {
  bool unallocated = false;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD,
           [](unsigned, const H5E_error2_t* e, void* found) -> herr_t {
             const std::string_view desc = e->desc ? e->desc : "";
             if (desc.find("storage is not allocated") != desc.npos || desc.find("address isn't defined") != desc.npos)
               *static_cast<bool*>(found) = true;
             return 0;
           },
           &unallocated);
  H5Eclear2(H5E_DEFAULT);
  return unallocated;
}

Result<codec::DecodeChain> chain_of(const std::vector<json::object>& codecs, unsigned mask, const std::string& dtype) {
  json::array filters;
  for (std::size_t i = 0; i < codecs.size(); ++i)
    if (!(mask & (1u << i))) filters.push_back(codecs[i]);
  return codec::DecodeChain::from_zarr(nullptr, filters, dtype);
}

}  // namespace

Result<std::unique_ptr<Hdf5Chunks>> Hdf5Chunks::open(const std::string& path) {
  // HDF5 prints its error stack on stderr unless told not to; every failure here becomes
  // either a message of ours or the netCDF-C path.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file.ok()) return runtime_error(path + ": HDF5 cannot open the file to find its chunks");
  return std::unique_ptr<Hdf5Chunks>(new Hdf5Chunks(path, file.release()));
}

Hdf5Chunks::~Hdf5Chunks() { H5Fclose(file_); }

hid_t Hdf5Chunks::open_dataset(const std::string& group, const std::string& variable) const {
  const std::string prefix = group == "/" || group.empty() ? "/" : group + "/";
  // netCDF-C stores a variable named like a dim it does not use as its coordinate under
  // this prefix; the plain name is then the dim's scale, not the variable.
  for (const std::string& name : {prefix + "_nc4_non_coord_" + variable, prefix + variable})
    if (H5Lexists(file_, name.c_str(), H5P_DEFAULT) > 0) return H5Dopen2(file_, name.c_str(), H5P_DEFAULT);
  return -1;
}

std::string Hdf5Chunks::not_a_string(const std::string& group, const std::string& variable) const {
  Id dataset(open_dataset(group, variable));
  if (!dataset.ok()) return "";
  Id type(H5Dget_type(dataset.get()));
  if (!type.ok()) return "";
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls == H5T_STRING) return "";
  const std::string bytes = std::to_string(H5Tget_size(type.get())) + "-byte";
  if (cls == H5T_FLOAT) return "HDF5 " + bytes + " float";
  if (cls == H5T_INTEGER) return "HDF5 " + bytes + " integer";
  return "HDF5 " + bytes + " type of class " + std::to_string(static_cast<int>(cls));
}

namespace {

/// What an unallocated chunk's elements read as: the fill value (zeros when none is
/// defined), or nullopt when no fill value is ever written (HDF5 then leaves such elements
/// undefined and netCDF-C is the reference). Errors say what HDF5 cannot tell.
Result<std::optional<std::vector<std::byte>>> unallocated_element(hid_t dcpl, hid_t type, std::size_t elem) {
  H5D_fill_value_t fill_status{};
  H5D_fill_time_t fill_time{};
  if (H5Pfill_value_defined(dcpl, &fill_status) < 0 || H5Pget_fill_time(dcpl, &fill_time) < 0)
    return runtime_error("HDF5 cannot tell the fill value");
  if (fill_time == H5D_FILL_TIME_NEVER) return std::optional<std::vector<std::byte>>();
  std::vector<std::byte> fill(elem);
  if (fill_status != H5D_FILL_VALUE_UNDEFINED) {
    Id native(H5Tget_native_type(type, H5T_DIR_ASCEND));
    if (!native.ok() || H5Tget_size(native.get()) != elem || H5Pget_fill_value(dcpl, native.get(), fill.data()) < 0)
      return runtime_error("HDF5 cannot read the fill value");
  }
  return std::optional<std::vector<std::byte>>(std::move(fill));
}

}  // namespace

Result<std::unique_ptr<Hdf5ChunkedVariable>> Hdf5Chunks::variable(const std::string& group,
                                                                  const model::Variable& v, std::string& why_not) {
  using Out = std::unique_ptr<Hdf5ChunkedVariable>;
  auto refuse = [&](std::string why) -> Result<Out> {
    why_not = std::move(why);
    return Out();
  };
  const std::size_t rank = v.shape.size();
  if (rank == 0) return refuse("a scalar");
  Id dataset(open_dataset(group, v.name));
  if (!dataset.ok()) return refuse("no HDF5 dataset of that name");
  Id dcpl(H5Dget_create_plist(dataset.get()));
  Id space(H5Dget_space(dataset.get()));
  Id type(H5Dget_type(dataset.get()));
  auto fail = [&](const std::string& what) { return runtime_error(path_ + ": " + v.name + ": HDF5 " + what); };
  if (!dcpl.ok() || !space.ok() || !type.ok()) return fail("cannot describe the dataset");
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return refuse("not chunked");
  if (H5Pget_external_count(dcpl.get()) > 0) return refuse("external storage");
  if (H5Sget_simple_extent_ndims(space.get()) != static_cast<int>(rank)) return refuse("HDF5 rank differs");
  std::vector<hsize_t> extent(rank), chunk(rank);
  H5Sget_simple_extent_dims(space.get(), extent.data(), nullptr);
  if (H5Pget_chunk(dcpl.get(), static_cast<int>(rank), chunk.data()) != static_cast<int>(rank))
    return fail("cannot tell the chunk shape");
  for (std::size_t d = 0; d < rank; ++d) {
    if (extent[d] != v.shape[d]) return refuse("stored extent shorter than its dims");
    if (chunk[d] == 0) return fail("chunk of size 0");
  }
  const std::string dtype = zarr_dtype(type.get());
  const auto parsed = kerchunk::numeric_zarr_dtype(dtype);
  if (!parsed || parsed->first != v.dtype) return refuse("stored type differs from the variable's");
  const std::size_t elem = model::dtype_size(v.dtype);
  std::string unsupported;
  auto codecs = pipeline(dcpl.get(), elem, unsupported);
  if (!unsupported.empty()) return refuse(unsupported);
  if (codecs.size() > 32) return refuse("more than 32 filters");
  // netCDF-C reads uncompressed chunks straight into the caller's buffer already.
  if (codecs.empty()) return refuse("uncompressed");

  auto fill = unallocated_element(dcpl.get(), type.get(), elem);
  if (!fill.ok()) return fill.error().with_context(path_ + ": " + v.name);
  if (!*fill) return refuse("no fill value written");

  Out out(new Hdf5ChunkedVariable());
  out->path_ = path_;
  out->name_ = v.name;
  out->dtype_ = dtype;
  out->array_.dtype = v.dtype;
  out->array_.shape = v.shape;
  out->array_.chunks.assign(chunk.begin(), chunk.end());
  out->array_.fill = std::move(**fill);
  for (std::size_t d = 0; d < rank; ++d) out->grid_.push_back((v.shape[d] + chunk[d] - 1) / chunk[d]);
  auto chain = chain_of(codecs, 0, dtype);
  if (!chain.ok()) return chain.error().with_context(path_ + ": " + v.name);
  out->array_.chain = std::move(chain).value();
  out->filters_ = std::move(codecs);
  out->masks_.push_back(0);
  out->dataset_ = dataset.release();
  return out;
}

Hdf5ChunkedVariable::~Hdf5ChunkedVariable() {
  if (dataset_ >= 0) H5Dclose(dataset_);
}

std::string Hdf5ChunkedVariable::chunk_name(std::uint64_t index) const {
  const std::size_t rank = grid_.size();
  std::vector<std::uint64_t> at(rank);
  for (std::size_t d = rank; d-- > 0;) {
    at[d] = index % grid_[d];
    index /= grid_[d];
  }
  std::string name = "(";
  for (std::size_t d = 0; d < rank; ++d) name.append(d ? ", " : "").append(std::to_string(at[d]));
  return name + ")";
}

std::string Hdf5ChunkedVariable::where(std::uint64_t index, const ChunkRef& ref) const {
  std::string w = context();
  w.append(": chunk ").append(chunk_name(index));
  w.append(" (").append(std::to_string(ref.length)).append(" stored bytes");
  if (ref.url != 0) {
    std::lock_guard lock(masks_mutex_);
    if (ref.url < masks_.size()) w.append(", filter mask ").append(std::to_string(masks_[ref.url]));
  }
  return w.append(")");
}

std::vector<hsize_t> Hdf5ChunkedVariable::element_offset(std::uint64_t index) const {
  const std::size_t rank = grid_.size();
  std::vector<hsize_t> offset(rank);
  for (std::size_t d = rank; d-- > 0;) {
    offset[d] = (index % grid_[d]) * array_.chunks[d];
    index /= grid_[d];
  }
  return offset;
}

// HDF5 1.10's H5Dget_chunk_info_by_coord scans the chunk index up to the chunk (12 ms per
// lookup near the end of 10^5 chunks, measured here); the storage size and H5Dread_chunk
// look the chunk up in the B-tree (6 us per chunk, read included).
Result<ChunkRef> Hdf5ChunkedVariable::locate(std::uint64_t index) {
  hsize_t size = 0;
  if (H5Dget_chunk_storage_size(dataset_, element_offset(index).data(), &size) < 0) {
    if (failed_as_unallocated()) return ChunkRef{};  // never written: reads as the fill value
    return runtime_error(context() + ": chunk " + chunk_name(index) + ": HDF5 cannot look it up in the chunk index");
  }
  if (size == 0) return ChunkRef{};
  if (size >= ChunkRef::kWholeFile)
    return runtime_error(context() + ": chunk " + chunk_name(index) + ": stored size " + std::to_string(size) +
                         " bytes is 4 GiB or more");
  ChunkRef ref;
  ref.length = static_cast<std::uint32_t>(size);
  ref.url = ChunkRef::kSelfRead;
  return ref;
}

Status Hdf5ChunkedVariable::read_stored(std::uint64_t index, ChunkRef& ref, std::span<std::byte> out) {
  std::uint32_t mask = 0;
  if (out.size() < ref.length ||
      H5Dread_chunk(dataset_, H5P_DEFAULT, element_offset(index).data(), &mask, out.data()) < 0)
    return runtime_error(where(index, ref) + ": HDF5 cannot read the stored chunk");
  ZPMPI_ASSIGN_OR_RETURN(ref.url, variant(mask));
  return {};
}

Result<std::uint32_t> Hdf5ChunkedVariable::variant(unsigned mask) {
  const auto known = std::find(masks_.begin(), masks_.end(), mask);
  if (known != masks_.end()) return static_cast<std::uint32_t>(known - masks_.begin());
  auto chain = chain_of(filters_, mask, dtype_);
  if (!chain.ok()) return chain.error().with_context(context() + ": filter mask " + std::to_string(mask));
  const auto k = static_cast<std::uint32_t>(masks_.size());
  chains_.emplace(k, std::move(chain).value());
  std::lock_guard lock(masks_mutex_);
  masks_.push_back(mask);
  return k;
}

const codec::DecodeChain* Hdf5ChunkedVariable::chain_for(const ChunkRef& ref) const {
  if (ref.url == 0) return nullptr;
  const auto it = chains_.find(ref.url);
  return it == chains_.end() ? nullptr : &it->second;
}

}  // namespace zpmpi::source
