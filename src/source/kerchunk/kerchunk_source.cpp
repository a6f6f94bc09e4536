// The kerchunk Source: reads a box by fetching the stored chunks it touches and decoding
// them on the caller's workers (chunk_read.hpp), where the reference set says they are.
#include <map>
#include <memory>
#include <utility>

#include "chunk_read.hpp"
#include "kerchunk/kerchunk_describe.hpp"
#include "zpmpi/source/kerchunk.hpp"

namespace zpmpi::source {
namespace {

using kerchunk::ArrayReading;
using kerchunk::ChunkRef;

/// The chunks of one array of the set.
class RefsLocator final : public ChunkLocator {
 public:
  RefsLocator(const kerchunk::ReferenceSet& set, const std::string& variable, const ArrayReading& a)
      : set_(set), variable_(variable), a_(a) {}

  Result<ChunkRef> locate(std::uint64_t index) override { return a_.refs ? a_.refs->table[index] : ChunkRef{}; }
  const std::string& url(std::uint32_t id) const override { return set_.url(id); }
  std::string_view inline_bytes(const ChunkRef& r) const override { return set_.inline_bytes(r); }
  std::string context() const override { return set_.location() + ": " + variable_; }
  std::string chunk_name(std::uint64_t index) const override { return set_.chunk_key(variable_, index); }
  std::string where(std::uint64_t index, const ChunkRef& r) const override {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
    std::string w = context();
    w.append(": chunk ").append(chunk_name(index));
    if (r.kind() == ChunkRef::Kind::kInline) return w.append(" (inline)");
    w.append(" (").append(set_.url(r.url));
    if (r.kind() != ChunkRef::Kind::kWholeFile)
      w.append(" ").append(std::to_string(r.offset)).append("+").append(std::to_string(r.length));
    return w.append(")");
  }

 private:
  const kerchunk::ReferenceSet& set_;
  const std::string& variable_;
  const ArrayReading& a_;
};

class KerchunkSource final : public Source {
 public:
  KerchunkSource(std::unique_ptr<RangeReader> reader, kerchunk::ReferenceSet set, kerchunk::Description d)
      : reader_(std::move(reader)), set_(std::move(set)), desc_(std::move(d)), chunks_(reader_.get()) {
    // The description's ArrayReading::refs point into the set moved above: re-point them.
    for (auto& [name, a] : desc_.arrays) a.refs = set_.array(name);
  }

  const model::Dataset& dataset() const override { return desc_.dataset; }

  /// The reference file and every file (or url) a chunk reference points into.
  std::vector<std::string> input_files() const override {
    std::vector<std::string> files{set_.location()};
    for (std::string& url : set_.referenced_urls()) files.push_back(std::move(url));
    return files;
  }

  Status read(const std::string& variable, const model::Box& box, std::span<std::byte> out,
              const model::Shape& stride, TaskRunner* parallel) override {
    ZPMPI_ASSIGN_OR_RETURN(auto* array, find(variable));
    return chunks_.read(array->first->second, *array->second, box, stride, out, parallel);
  }

  Result<std::unique_ptr<DeferredRead>> prepare_read(const std::string& variable, const model::Box& box,
                                                     std::span<std::byte> out, const model::Shape& stride,
                                                     model::ByteBuffer& stored, std::uint64_t max_stored,
                                                     int workers) override {
    ZPMPI_ASSIGN_OR_RETURN(auto* array, find(variable));
    return chunks_.prepare(array->first->second, *array->second, box, stride, out, stored, max_stored, workers);
  }

  std::uint64_t decode_buffer_bytes() const override { return chunks_.held_bytes(); }

 private:
  using Array = std::pair<std::map<std::string, ArrayReading, std::less<>>::const_iterator, std::unique_ptr<RefsLocator>>;
  /// The array and its locator (made once, kept: a prepared read's tasks use it).
  Result<Array*> find(const std::string& variable) {
    if (auto it = locators_.find(variable); it != locators_.end()) return &it->second;
    const auto it = desc_.arrays.find(variable);
    if (it == desc_.arrays.end()) return runtime_error(set_.location() + ": " + variable + ": no such numeric variable");
    Array array{it, std::make_unique<RefsLocator>(set_, it->first, it->second)};
    return &locators_.emplace(variable, std::move(array)).first->second;
  }

  std::unique_ptr<RangeReader> reader_;
  kerchunk::ReferenceSet set_;
  kerchunk::Description desc_;
  ChunkedReader chunks_;
  std::map<std::string, Array> locators_;
};

}  // namespace

Result<std::unique_ptr<Source>> open_kerchunk(const std::string& uri, const RangeReaderOptions& options,
                                              const S3Options& remote) {
  auto set = [&] {  // the reference file's reader (storage_options) is needed only here
    auto refs_reader = make_range_reader(options);
    return kerchunk::ReferenceSet::parse_file(uri, refs_reader.get());
  }();
  if (!set.ok()) return set.error();
  ZPMPI_ASSIGN_OR_RETURN(auto desc, kerchunk::describe(*set));
  for (std::size_t i = 0; i < set->num_urls(); ++i) {  // refused now, before a store is made
    const std::string& url = set->url(static_cast<std::uint32_t>(i));
    if (!url.starts_with("s3://")) continue;
    if (auto st = check_s3_credentials(url, remote); !st.ok()) return st.error().with_context(set->location());
  }
  RangeReaderOptions chunk_options = options;
  chunk_options.s3 = remote;
  return std::unique_ptr<Source>(
      new KerchunkSource(make_range_reader(chunk_options), std::move(set).value(), std::move(desc)));
}

}  // namespace zpmpi::source
