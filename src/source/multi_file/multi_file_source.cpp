#include "multi_file/multi_file_source.hpp"

#include <netcdf.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "netcdf/netcdf_source.hpp"

namespace zpmpi::source {
namespace {

/// Position of `dim` in `v.dims`, or nullopt.
std::optional<std::size_t> dim_position(const model::Variable& v, const std::string& dim) {
  const auto it = std::find(v.dims.begin(), v.dims.end(), dim);
  if (it == v.dims.end()) return std::nullopt;
  return static_cast<std::size_t>(it - v.dims.begin());
}

/// A data variable without the concat dim: xarray's data_vars="all" gives it the concat dim.
bool is_broadcast(const model::Dataset& ds, const std::vector<std::string>& aux, const model::Variable& v,
                  const std::string& concat_dim) {
  return !dim_position(v, concat_dim) && !ds.is_dimension_coordinate(v) &&
         std::find(aux.begin(), aux.end(), v.name) == aux.end();
}

std::uint64_t gcd_of(std::uint64_t g, const std::vector<std::uint64_t>& values) {
  for (std::uint64_t x : values) g = std::gcd(g, x);
  return std::max<std::uint64_t>(g, 1);
}

}  // namespace

model::Dataset combine_description(const model::Dataset& first, const std::string& concat_dim,
                                   const std::vector<std::uint64_t>& lengths,
                                   const std::vector<std::string>& uris) {
  model::Dataset ds = first;
  const std::uint64_t total = std::accumulate(lengths.begin(), lengths.end(), std::uint64_t{0});
  ds.uri = uris.front() + " (and " + std::to_string(uris.size() - 1) + " more files along " + concat_dim + ")";
  for (auto& d : ds.dims)
    if (d.name == concat_dim) d.length = total;
  // The file boundaries inside the dataset: the last file's end is the dataset's end, an
  // edge chunk like any other.
  const std::vector<std::uint64_t> inner(lengths.begin(), lengths.end() - 1);
  const auto aux = first.auxiliary_coordinate_names();
  for (auto& v : ds.variables) {
    if (const auto p = dim_position(v, concat_dim)) {
      v.shape[*p] = total;
      // Text arrays are one chunk (their whole shape); numeric ones keep every file and
      // stored-chunk boundary on a chunk boundary.
      v.source_chunks[*p] = v.text ? std::max<std::uint64_t>(total, 1) : gcd_of(v.source_chunks[*p], inner);
    } else if (is_broadcast(first, aux, v, concat_dim)) {
      v.dims.insert(v.dims.begin(), concat_dim);
      v.shape.insert(v.shape.begin(), total);
      v.source_chunks.insert(v.source_chunks.begin(), v.text ? std::max<std::uint64_t>(total, 1) : gcd_of(0, inner));
    }
  }
  return ds;
}

MultiFileSource::MultiFileSource(SourceSpec spec, std::size_t max_open_files)
    : spec_(std::move(spec)),
      max_open_files_(std::max<std::size_t>(max_open_files, 1)),
      reader_(std::make_shared<ChunkedReader>(nullptr)) {
  offsets_.push_back(0);
  for (std::uint64_t n : spec_.lengths) offsets_.push_back(offsets_.back() + n);
  recodings_.resize(spec_.uris.size());
}

Result<std::unique_ptr<MultiFileSource>> MultiFileSource::open(const SourceSpec& spec, std::size_t max_open_files) {
  if (spec.uris.size() < 2 || spec.lengths.size() != spec.uris.size() || spec.concat_dim.empty())
    return runtime_error("internal: a multi-file source needs a resolved spec (resolve_source)");
  std::unique_ptr<MultiFileSource> source(new MultiFileSource(spec, max_open_files));
  ZPMPI_ASSIGN_OR_RETURN(Source * first, source->file(0));
  const model::Dataset& ds = first->dataset();
  if (!ds.find_dim(spec.concat_dim))
    return usage_error(spec.uris[0] + ": has no dimension '" + spec.concat_dim + "' to concatenate along");
  const auto aux = ds.auxiliary_coordinate_names();
  for (const auto& v : ds.variables)
    if (is_broadcast(ds, aux, v, spec.concat_dim)) source->broadcast_.push_back(v.name);
  source->dataset_ = combine_description(ds, spec.concat_dim, spec.lengths, spec.uris);
  return source;
}

Result<Source*> MultiFileSource::file(std::size_t i) {
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (it->index != i) continue;
    open_.splice(open_.begin(), open_, it);  // now the most recently used
    return open_.front().source.get();
  }
  if (open_.size() >= max_open_files_) open_.pop_back();  // closes the least recently used
  // netCDF-C gives each variable of an open file a chunk cache (16 MiB by default) that
  // memory_limit does not count: with 32 files open that was 512 MiB more per rank (RSS 610
  // MB instead of 73 on 40 files of 25 MB). The open files share one default's worth.
  std::size_t cache_size = 0, cache_slots = 0;
  float preemption = 0;
  const bool cache_known = nc_get_chunk_cache(&cache_size, &cache_slots, &preemption) == NC_NOERR;
  if (cache_known) nc_set_chunk_cache(cache_size / max_open_files_, cache_slots, preemption);
  auto opened = NetcdfSource::open(spec_.uris[i], spec_.group, spec_.decoder == Decoder::kZpmpi, reader_);
  if (cache_known) nc_set_chunk_cache(cache_size, cache_slots, preemption);
  ZPMPI_ASSIGN_OR_RETURN(auto source, std::move(opened));
  ++opens_;
  // The file may have changed since rank 0 described it; reads would land in the wrong place.
  const model::Dimension* d = source->dataset().find_dim(spec_.concat_dim);
  if (!d || d->length != spec_.lengths[i])
    return runtime_error(spec_.uris[i] + ": its length along " + spec_.concat_dim + " is " +
                         (d ? std::to_string(d->length) : "none") + ", not " + std::to_string(spec_.lengths[i]) +
                         " as when the run started (the file changed)");
  if (i > 0) recodings_[i] = time_recodings(dataset_, source->dataset(), spec_.concat_dim);
  open_.push_front({i, std::move(source)});
  return open_.front().source.get();
}

bool MultiFileSource::broadcast(const std::string& variable) const {
  return std::find(broadcast_.begin(), broadcast_.end(), variable) != broadcast_.end();
}

Status MultiFileSource::recode(std::size_t i, const std::string& variable, std::span<std::byte> values) const {
  const model::TimeRecoding* recoding = find_recoding(recodings_[i], variable);
  if (!recoding) return {};
  const model::Variable* v = dataset_.find_variable(variable);
  if (auto done = recoding->apply(*v, values); !done.ok())
    return done.error().with_context(spec_.uris[i] + ": variable " + variable);
  return {};
}

Status MultiFileSource::check_read(const model::Variable& v, std::size_t p, const model::Box& box,
                                   const model::Shape& stride, std::span<std::byte> out) const {
  auto fail = [&](const std::string& why) { return runtime_error(dataset_.uri + ": " + v.name + ": " + why); };
  const std::size_t rank = v.dims.size();
  if (box.start.size() != rank || box.count.size() != rank || (!stride.empty() && stride.size() != rank))
    return fail("box or stride of the wrong rank for a variable of rank " + std::to_string(rank));
  if (out.size() != box.num_elements() * model::dtype_size(v.dtype))
    return fail("buffer of " + std::to_string(out.size()) + " bytes for " + std::to_string(box.num_elements()) +
                " elements");
  const std::uint64_t step = stride.empty() ? 1 : stride[p];
  const std::uint64_t start = box.start[p], count = box.count[p];
  if (step == 0) return fail("stride 0");
  if (count > 0 && (start >= offsets_.back() || (count - 1) * step >= offsets_.back() - start))
    return fail("box start " + model::to_string(box.start) + " count " + model::to_string(box.count) +
                " is outside the shape " + model::to_string(v.shape));
  return {};
}

Status MultiFileSource::read(const std::string& variable, const model::Box& box, std::span<std::byte> out,
                             const model::Shape& stride, TaskRunner* parallel) {
  const model::Variable* v = dataset_.find_variable(variable);
  if (!v || v->text) return runtime_error(dataset_.uri + ": " + variable + ": no such numeric variable");
  // The plan counted per-worker decode buffers only if the first file's variable is
  // decoded by zpmpi; a later file must not use more (it decodes on this thread then).
  if (!v->decoded_on_workers) parallel = nullptr;
  const auto p = dim_position(*v, spec_.concat_dim);
  if (!p) {  // a coordinate without the concat dim: the same in every file
    ZPMPI_ASSIGN_OR_RETURN(Source * first, file(0));
    return first->read(variable, box, out, stride, parallel);
  }
  ZPMPI_RETURN_IF_ERROR(check_read(*v, *p, box, stride, out));
  if (box.num_elements() == 0) return {};

  // out as (outer, count, inner): the dims before the concat dim, it, the dims after.
  Split split{*p, box.start[*p], stride.empty() ? 1 : stride[*p], box.count[*p], 1, model::dtype_size(v->dtype),
              broadcast(variable)};  // repeat: the file's variable lacks the concat dim (p == 0)
  for (std::size_t d = 0; d < *p; ++d) split.outer *= box.count[d];
  for (std::size_t d = *p + 1; d < v->dims.size(); ++d) split.inner *= box.count[d];
  const std::uint64_t start = split.start, step = split.step, count = split.count;
  const std::uint64_t last = start + (count - 1) * step;
  std::size_t i = static_cast<std::size_t>(std::upper_bound(offsets_.begin(), offsets_.end(), start) - offsets_.begin()) - 1;
  std::vector<std::byte> scratch;
  for (; i + 1 < offsets_.size() && offsets_[i] <= last; ++i) {
    const std::uint64_t a = offsets_[i], b = offsets_[i + 1];
    // The k < count with start + k*step in [a, b).
    const std::uint64_t k0 = a <= start ? 0 : (a - start + step - 1) / step;
    if (k0 >= count || b <= start) continue;
    const std::uint64_t k1 = std::min<std::uint64_t>((b - 1 - start) / step, count - 1);
    if (k0 > k1) continue;
    ZPMPI_RETURN_IF_ERROR(read_from_file(i, variable, box, stride, out, split, k0, k1 - k0 + 1, scratch, parallel));
  }
  return {};
}

Status MultiFileSource::read_from_file(std::size_t i, const std::string& variable, const model::Box& box,
                                       const model::Shape& stride, std::span<std::byte> out, const Split& s,
                                       std::uint64_t k0, std::uint64_t n, std::vector<std::byte>& scratch,
                                       TaskRunner* parallel) {
  ZPMPI_ASSIGN_OR_RETURN(Source * f, file(i));
  model::Box part = box;
  model::Shape part_stride = stride;
  if (s.repeat) {  // read the file's values once, then repeat them n times
    part.start.erase(part.start.begin());
    part.count.erase(part.count.begin());
    if (!part_stride.empty()) part_stride.erase(part_stride.begin());
    const std::span<std::byte> once = out.subspan(k0 * s.inner, s.inner);
    ZPMPI_RETURN_IF_ERROR(f->read(variable, part, once, part_stride, parallel));
    for (std::uint64_t k = 1; k < n; ++k) std::memcpy(out.data() + (k0 + k) * s.inner, once.data(), s.inner);
    return {};
  }
  part.start[s.p] = s.start + k0 * s.step - offsets_[i];
  part.count[s.p] = n;
  if (s.outer == 1) {  // the file's part is one contiguous run of out
    const std::span<std::byte> run = out.subspan(k0 * s.inner, n * s.inner);
    ZPMPI_RETURN_IF_ERROR(f->read(variable, part, run, part_stride, parallel));
    return recode(i, variable, run);
  }
  scratch.resize(s.outer * n * s.inner);
  ZPMPI_RETURN_IF_ERROR(f->read(variable, part, scratch, part_stride, parallel));
  ZPMPI_RETURN_IF_ERROR(recode(i, variable, scratch));
  for (std::uint64_t o = 0; o < s.outer; ++o)
    std::memcpy(out.data() + (o * s.count + k0) * s.inner, scratch.data() + o * n * s.inner, n * s.inner);
  return {};
}

namespace {

/// A file's prepared read, keeping the file open until the read ends.
class KeepsFile final : public DeferredRead {
 public:
  KeepsFile(std::shared_ptr<Source> file, std::unique_ptr<DeferredRead> read)
      : file_(std::move(file)), read_(std::move(read)) {}
  std::size_t tasks() const override { return read_->tasks(); }
  Status run(std::size_t task, int worker) override { return read_->run(task, worker); }

 private:
  std::shared_ptr<Source> file_;        // declared first: outlives read_
  std::unique_ptr<DeferredRead> read_;
};

}  // namespace

Result<std::unique_ptr<DeferredRead>> MultiFileSource::prepare_read(const std::string& variable,
                                                                    const model::Box& box, std::span<std::byte> out,
                                                                    const model::Shape& stride,
                                                                    model::ByteBuffer& stored,
                                                                    std::uint64_t max_stored, int workers) {
  const model::Variable* v = dataset_.find_variable(variable);
  if (!v || v->text || !v->decoded_on_workers || broadcast(variable)) return std::unique_ptr<DeferredRead>();
  const auto p = dim_position(*v, spec_.concat_dim);
  if (!p || *p != 0 || box.start.empty() || box.start.size() != box.count.size() || box.count[0] == 0)
    return std::unique_ptr<DeferredRead>();
  const std::uint64_t step = stride.empty() ? 1 : stride[0];
  const std::uint64_t start = box.start[0], last = start + (box.count[0] - 1) * step;
  if (step == 0 || last >= offsets_.back()) return std::unique_ptr<DeferredRead>();
  const auto i = static_cast<std::size_t>(std::upper_bound(offsets_.begin(), offsets_.end(), start) - offsets_.begin()) - 1;
  if (last >= offsets_[i + 1]) return std::unique_ptr<DeferredRead>();  // spans two files
  ZPMPI_ASSIGN_OR_RETURN(Source * f, file(i));
  if (find_recoding(recodings_[i], variable)) return std::unique_ptr<DeferredRead>();  // read() recodes
  std::shared_ptr<Source> keep = open_.front().source;  // file() put it first
  model::Box part = box;
  part.start[0] -= offsets_[i];
  ZPMPI_ASSIGN_OR_RETURN(auto read, f->prepare_read(variable, part, out, stride, stored, max_stored, workers));
  if (!read) return std::unique_ptr<DeferredRead>();
  return std::unique_ptr<DeferredRead>(std::make_unique<KeepsFile>(std::move(keep), std::move(read)));
}

std::uint64_t MultiFileSource::decode_buffer_bytes() const { return reader_->held_bytes(); }

Result<std::vector<std::string>> MultiFileSource::read_text(const std::string& variable) {
  const model::Variable* v = dataset_.find_variable(variable);
  if (!v || !v->text) return runtime_error(dataset_.uri + ": " + variable + ": no such text variable");
  const auto p = dim_position(*v, spec_.concat_dim);
  if (!p) {
    ZPMPI_ASSIGN_OR_RETURN(Source * first, file(0));
    return first->read_text(variable);
  }
  const bool repeat = broadcast(variable);
  // The elements as (outer, total, inner) along the concat dim, like read().
  std::uint64_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < *p; ++d) outer *= v->shape[d];
  for (std::size_t d = *p + 1; d < v->shape.size(); ++d) inner *= v->shape[d];
  const std::uint64_t total = offsets_.back();
  std::vector<std::string> all(outer * total * inner);
  for (std::size_t i = 0; i + 1 < offsets_.size(); ++i) {
    ZPMPI_ASSIGN_OR_RETURN(Source * f, file(i));
    ZPMPI_ASSIGN_OR_RETURN(auto part, f->read_text(variable));
    const std::uint64_t n = spec_.lengths[i];
    if (part.size() != (repeat ? inner : outer * n * inner))
      return runtime_error(spec_.uris[i] + ": " + variable + ": " + std::to_string(part.size()) +
                           " text elements, not the number its shape holds");
    for (std::uint64_t o = 0; o < outer; ++o)
      for (std::uint64_t t = 0; t < n; ++t)
        for (std::uint64_t j = 0; j < inner; ++j)
          all[(o * total + offsets_[i] + t) * inner + j] = part[repeat ? j : (o * n + t) * inner + j];
  }
  return all;
}

}  // namespace zpmpi::source
