// Attributes of a complete store's arrays changed in place (store_attributes.hpp).
#include "zpmpi/zarr/store_attributes.hpp"

#include "zpmpi/zarr/store.hpp"
#include "zpmpi/zarr/store_entry.hpp"

#include "v3_json.hpp"

namespace zpmpi::zarr {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

/// The JSON object at `relative`; an empty one when `missing_ok` and it is not there.
Result<json::object> read_object(const fs::path& store, const fs::path& relative, bool missing_ok) {
  const StoreFileRead file = read_store_file(store, relative);
  if (file.kind == EntryKind::kMissing && missing_ok) return json::object{};
  if (file.kind == EntryKind::kLink) return runtime_error(link_in_store_message(file.failure.path, "read"));
  if (file.kind != EntryKind::kFile) return runtime_error("cannot read " + (store / relative).string());
  auto v = parse_store_json(file.bytes);
  if (!v.ok() || !v->is_object()) return runtime_error((store / relative).string() + ": not a JSON object");
  return std::move(v->get_object());
}

void apply(json::object& attrs, const json::object& changes) {
  for (const auto& [key, value] : changes) attrs[key] = value;
}

/// `o[key]` as an object, made one when it is missing; null when it is something else.
json::object* object_member(json::object& o, std::string_view key, bool make) {
  json::value* v = o.if_contains(key);
  if (!v && make) v = &(o[key] = json::object{});
  return v && v->is_object() ? &v->get_object() : nullptr;
}

Status update_v2(const fs::path& store, const AttributeChanges& changes) {
  for (const auto& [array, set] : changes) {
    const fs::path rel = fs::path(array) / ".zattrs";
    ZPMPI_ASSIGN_OR_RETURN(json::object attrs, read_object(store, rel, true));
    apply(attrs, set);
    ZPMPI_RETURN_IF_ERROR(write_document(store, rel, attrs));
  }
  ZPMPI_ASSIGN_OR_RETURN(json::object zmetadata, read_object(store, ".zmetadata", false));
  json::object* metadata = object_member(zmetadata, "metadata", false);
  if (!metadata) return runtime_error((store / ".zmetadata").string() + ": no \"metadata\" object");
  for (const auto& [array, set] : changes) {
    json::object* attrs = object_member(*metadata, array + "/.zattrs", true);
    if (!attrs) return runtime_error((store / ".zmetadata").string() + ": " + array + "/.zattrs is not an object");
    apply(*attrs, set);
  }
  return write_document(store, ".zmetadata", zmetadata);
}

Status update_v3(const fs::path& store, const AttributeChanges& changes) {
  for (const auto& [array, set] : changes) {
    const fs::path rel = fs::path(array) / "zarr.json";
    ZPMPI_ASSIGN_OR_RETURN(json::object doc, read_object(store, rel, false));
    json::object* attrs = object_member(doc, "attributes", true);
    if (!attrs) return runtime_error((store / rel).string() + ": \"attributes\" is not an object");
    apply(*attrs, set);
    ZPMPI_RETURN_IF_ERROR(write_document(store, rel, strict_json(doc)));  // v3 is strict JSON
  }
  ZPMPI_ASSIGN_OR_RETURN(json::object root, read_object(store, "zarr.json", false));
  json::object* consolidated = object_member(root, "consolidated_metadata", false);
  json::object* metadata = consolidated ? object_member(*consolidated, "metadata", false) : nullptr;
  if (!metadata) return runtime_error((store / "zarr.json").string() + ": no consolidated_metadata.metadata object");
  for (const auto& [array, set] : changes) {
    json::object* doc = object_member(*metadata, array, false);
    json::object* attrs = doc ? object_member(*doc, "attributes", true) : nullptr;
    if (!attrs) return runtime_error((store / "zarr.json").string() + ": the consolidated metadata has no array " + array);
    apply(*attrs, set);
  }
  return write_document(store, "zarr.json", strict_json(root));
}

}  // namespace

Status update_array_attributes(const fs::path& store, ZarrFormat format, const AttributeChanges& changes) {
  return format == ZarrFormat::kV2 ? update_v2(store, changes) : update_v3(store, changes);
}

}  // namespace zpmpi::zarr
