// The CF "coordinates" attributes of the written arrays, so that xarray reads the same
// coordinates from the store as from the source.
//
// xarray turns the names of a variable's "coordinates" attribute into coordinates only when
// every one of them is a variable of the store: one missing name (a variable skipped, or a
// coordinate that ds[names] dropped) leaves all of them data variables. And a coordinate
// that no attribute names (ds[["counts"]] keeps lat_x, which only packed named) reads back
// as a data variable. So, as xarray's own encoder does (conventions._encode_coordinates),
// but naming only what is written:
//  - each array keeps the names of its attribute that are written, in order, each once;
//  - a data array also gets every written non-dimension coordinate whose dims are among its
//    own (sorted), when its attribute did not name any;
//  - coordinates that no attribute names go to the root "coordinates" attribute.
// An attribute xarray did not decode (it names a variable the source lacks, see
// model::Dataset::decodes_coordinates) is an ordinary attribute: written as it is, as
// xarray's encoder writes it back, and it names no coordinate (nor keeps one from the root
// attribute, which xarray's encoder would let it do, losing the coordinate on reading).
#pragma once

#include <string>
#include <vector>

#include "zpmpi/model/dataset.hpp"

namespace zpmpi::transform {

/// One written array as the coordinates encoding sees it (a view: attributes are rewritten).
struct CoordinatesView {
  const std::string& name;
  const std::vector<std::string>& dims;
  bool is_coordinate;
  std::vector<model::Attribute>& attributes;
};

/// Rewrites every array's "coordinates" attribute that xarray decoded from `source`; returns
/// the root attribute's text ("" = none needed).
std::string encode_coordinates(std::vector<CoordinatesView>& arrays, const model::Dataset& source);

}  // namespace zpmpi::transform
