// The description of a source dataset, as netCDF / xarray see it: dimensions, variables
// with dtype, shape, source chunking, attributes and fill value, and global attributes.
// Pure data: sources fill it in, preprocessors rewrite it, the zarr writer reads it.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "zpmpi/model/box.hpp"
#include "zpmpi/model/dtype.hpp"
#include "zpmpi/model/text.hpp"

namespace zpmpi::model {

struct Dimension {
  std::string name;
  Index length = 0;
  bool unlimited = false;
};

/// An attribute value: text, a list of strings (a netCDF-4 string attribute with several
/// values), or a numeric array (length 1 = a scalar, as xarray reads it). `dtype` keeps the
/// numeric type of the source (e.g. f4 for a float scale_factor).
struct AttrValue {
  std::variant<std::string, std::vector<std::int64_t>, std::vector<std::uint64_t>,
               std::vector<double>, std::vector<std::string>>
      data;
  std::optional<DType> dtype;  ///< nullopt for text

  bool is_text() const { return data.index() == 0; }
};

struct Attribute {
  std::string name;
  AttrValue value;
};

struct Variable {
  std::string name;
  /// The element type of a numeric variable (an enum variable: its base integer type).
  /// Meaningless when `text` is set.
  DType dtype = DType::f4;
  /// Set for a text variable (netCDF char or string). Its dims and shape are xarray's: a
  /// char variable's last dim is folded into the element (char name(station, strlen) has
  /// dims {station}); source_chunks equal the shape, chunked and compressed are false.
  std::optional<TextType> text;
  std::vector<std::string> dims;
  Shape shape;
  /// Source chunk shape. Contiguous netCDF-4 and netCDF-3 variables report the whole dim,
  /// except a netCDF-3 record dim, which reports 1 (one record at a time on disk).
  Shape source_chunks;
  /// True when the source stores (and possibly compresses) the variable in chunks that
  /// must be decoded whole; false for contiguous storage, where any hyperslab is cheap.
  bool chunked = false;
  /// True when the chunks pass through a filter (zlib, szip, ...) on the way out: decoding
  /// one holds several chunk-sized buffers (see source::kDecodeChunkBuffers).
  bool compressed = false;
  /// True when zpmpi decodes the stored chunks itself (a kerchunk reference set): the
  /// source fetches their bytes and decodes them on the caller's workers, each worker
  /// holding its own decode buffers (see source::kDecodeChunkBuffers).
  bool decoded_on_workers = false;
  std::vector<Attribute> attributes;
  /// The `_FillValue` attribute converted to dtype, if the variable has one.
  std::optional<Scalar> fill_value;

  const Attribute* find_attribute(std::string_view name) const;
};

struct Dataset {
  std::string uri;
  std::vector<Dimension> dims;
  std::vector<Variable> variables;
  std::vector<Attribute> attributes;  ///< global attributes
  /// The group the variables come from: "/" (the root) or a path such as "/g1/g2".
  std::string group = "/";
  /// What the source holds and zpmpi does not convert, one phrase each for a warning:
  /// "variable pairs (compound)", "attribute obs:cmp (compound)", "group /other (...)".
  std::vector<std::string> skipped;
  /// The groups of the file that are not converted (an ancestor of `group` only if it has variables)
  /// (full paths, e.g. "/g1"), for the error of a job that would write no data variable.
  std::vector<std::string> other_groups;
  /// How the source decodes its variables, one line each for the log, e.g.
  /// "decoded by zpmpi (zlib(level=1) <- shuffle(4)): t2m, u10" or
  /// "read through netCDF-C (filter szip): lsm". Empty for a source with one way.
  std::vector<std::string> decoders;
  /// What the source holds that it reads one of several ways, one line each for a warning
  /// (a kerchunk key given twice: which value is used).
  std::vector<std::string> warnings;

  const Variable* find_variable(std::string_view name) const;
  const Dimension* find_dim(std::string_view name) const;
  /// A dimension coordinate: 1-D and named like its only dim (xarray's index variables).
  bool is_dimension_coordinate(const Variable& v) const;
  /// Names listed in any variable's "coordinates" attribute that xarray decodes (xarray's
  /// non-index coords; see decodes_coordinates).
  std::vector<std::string> auxiliary_coordinate_names() const;
  /// True when xarray's open_dataset decodes a "coordinates" attribute of this text: every
  /// name it lists is a variable (conventions.decode_cf_variables). Otherwise (it names a
  /// variable the file lacks) the attribute stays an ordinary one and names no coordinate.
  bool decodes_coordinates(const std::string& text) const;
};

}  // namespace zpmpi::model
