// Changing some attributes of the arrays of a complete store in place (`zpmpi statistics`
// rewrites each array's "statistics"): each array's attribute document, then the
// consolidated metadata, each file replaced atomically (write_document, store.hpp: a
// temporary beside it, renamed; never through a link). A reader of the consolidated
// metadata - what xarray and zarrita open - sees the old attributes or the new ones, never
// a mix within a file; the consolidated document is replaced last.
//
//   v2  NAME/.zattrs, then .zmetadata's "NAME/.zattrs"
//   v3  NAME/zarr.json's "attributes", then the root zarr.json's
//       consolidated_metadata.metadata.NAME.attributes
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <boost/json/object.hpp>

#include "zpmpi/model/result.hpp"
#include "zpmpi/zarr/store_format.hpp"

namespace zpmpi::zarr {

/// Per array name, the attributes to set (each key replaced or added; the others kept).
using AttributeChanges = std::map<std::string, boost::json::object>;

/// Applies `changes` to the complete store `store` of `format` (see above). Errors name
/// the file: a document that is missing (an array the consolidated metadata lacks),
/// not JSON, a link, or a write that fails (the files before it are already replaced).
Status update_array_attributes(const std::filesystem::path& store, ZarrFormat format, const AttributeChanges& changes);

}  // namespace zpmpi::zarr
