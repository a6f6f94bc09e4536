// Helpers for the multi-file tests: a set of small netCDF-4 files along time, written with
// netCDF-C, each a part of one dataset whose values are known functions of the global
// time index, so a read across files can be checked element by element.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "multi_file/multi_file_source.hpp"
#include "../netcdf/netcdf_fixture.hpp"

namespace zpmpi::source::testing {

/// What one file holds (the defaults make files that agree).
struct PartOptions {
  std::size_t y = 3;                 ///< length of dim y
  nc_type v_type = NC_INT;           ///< type of v
  std::size_t time_chunk = 2;        ///< chunk of v along time
  bool with_mask = true;             ///< the data variable mask(y, x), without time
  bool unlimited = true;             ///< time is the record dim
  double y_offset = 0;               ///< added to the y coordinate values
  std::optional<double> scale_factor{};  ///< an attribute of v
  double time_step = 1;              ///< step of the time coordinate inside the file
  std::optional<int> v_fill{};       ///< the _FillValue of v (int only)
  /// As xarray's to_netcdf writes floats: a NaN _FillValue (a double NaN of these bits, and
  /// the float NaN it converts to) on y and mask, and a NaN last value of y.
  std::optional<std::uint64_t> nan_bits{};
  /// The time coordinate as a file written on its own holds it: in these units, each value
  /// (t0 + k * time_step - time_shift) * time_scale, of this type, with this calendar.
  std::string time_units = "hours since 2000-01-01 00:00:00";
  double time_shift = 0, time_scale = 1;
  nc_type time_type = NC_DOUBLE;
  std::optional<std::string> calendar{};
};

class MultiFileTest : public NetcdfTest {
 protected:
  static constexpr std::size_t kX = 4;
  static int v_at(std::size_t t, std::size_t y, std::size_t x) { return static_cast<int>(t * 100 + y * 10 + x); }
  static int w_at(std::size_t y, std::size_t t) { return static_cast<int>(y * 1000 + t); }
  static float mask_at(std::size_t file, std::size_t y, std::size_t x) {
    return static_cast<float>(file * 1000 + y * 10 + x);
  }
  static std::string name_at(std::size_t t) { return std::string("n").append(std::to_string(t)); }

  /// File `index` of the set: `nt` steps starting at global time index `t0` (its time
  /// coordinate: t0 + k * time_step hours). Variables: time(time), y(y), x(x),
  /// v(time, y, x) int = v_at, w(y, time) int = w_at, mask(y, x) float = mask_at(index),
  /// name(time, strlen) char = name_at, all chunked and v deflated.
  std::string write_part(const std::string& name, std::size_t index, std::size_t t0, std::size_t nt,
                         const PartOptions& o = {}) {
    const std::string p = path(name);
    int ncid, time, y, x, strlen, tv, yv, xv, v, w, mask, nm;
    EXPECT_EQ(nc_create(p.c_str(), NC_CLOBBER | NC_NETCDF4, &ncid), NC_NOERR);
    nc_def_dim(ncid, "time", o.unlimited ? NC_UNLIMITED : nt, &time);
    nc_def_dim(ncid, "y", o.y, &y);
    nc_def_dim(ncid, "x", kX, &x);
    nc_def_dim(ncid, "strlen", 4, &strlen);
    nc_def_var(ncid, "time", o.time_type, 1, &time, &tv);
    nc_put_att_text(ncid, tv, "units", o.time_units.size(), o.time_units.c_str());
    if (o.calendar) nc_put_att_text(ncid, tv, "calendar", o.calendar->size(), o.calendar->c_str());
    nc_def_var(ncid, "y", NC_DOUBLE, 1, &y, &yv);
    nc_def_var(ncid, "x", NC_DOUBLE, 1, &x, &xv);
    const int v_dims[3] = {time, y, x};
    nc_def_var(ncid, "v", o.v_type, 3, v_dims, &v);
    // A fixed-length time dim cannot hold a chunk longer than itself.
    const std::size_t tc = o.unlimited ? o.time_chunk : std::min(o.time_chunk, nt);
    const std::size_t v_chunks[3] = {tc, o.y, kX};
    EXPECT_EQ(nc_def_var_chunking(ncid, v, NC_CHUNKED, v_chunks), NC_NOERR);
    EXPECT_EQ(nc_def_var_deflate(ncid, v, 1, 1, 1), NC_NOERR);
    if (o.scale_factor) nc_put_att_double(ncid, v, "scale_factor", NC_DOUBLE, 1, &*o.scale_factor);
    if (o.v_fill) {
      EXPECT_EQ(nc_def_var_fill(ncid, v, 0, &*o.v_fill), NC_NOERR);
    }
    const int w_dims[2] = {y, time};
    nc_def_var(ncid, "w", NC_INT, 2, w_dims, &w);
    const std::size_t w_chunks[2] = {1, o.unlimited ? 3 : std::min<std::size_t>(3, nt)};
    EXPECT_EQ(nc_def_var_chunking(ncid, w, NC_CHUNKED, w_chunks), NC_NOERR);
    const int mask_dims[2] = {y, x};
    if (o.with_mask) nc_def_var(ncid, "mask", NC_FLOAT, 2, mask_dims, &mask);
    if (o.nan_bits) {
      const double nan = std::bit_cast<double>(*o.nan_bits);
      const float nan_f = static_cast<float>(nan);
      EXPECT_EQ(nc_def_var_fill(ncid, yv, 0, &nan), NC_NOERR);
      if (o.with_mask) {
        EXPECT_EQ(nc_def_var_fill(ncid, mask, 0, &nan_f), NC_NOERR);
      }
    }
    const int name_dims[2] = {time, strlen};
    nc_def_var(ncid, "name", NC_CHAR, 2, name_dims, &nm);
    EXPECT_EQ(nc_enddef(ncid), NC_NOERR);

    std::vector<double> times, ys, xs;
    for (std::size_t k = 0; k < nt; ++k)
      times.push_back((static_cast<double>(t0) + static_cast<double>(k) * o.time_step - o.time_shift) * o.time_scale);
    for (std::size_t j = 0; j < o.y; ++j) ys.push_back(static_cast<double>(j) * 0.5 + o.y_offset);
    if (o.nan_bits) ys.back() = std::bit_cast<double>(*o.nan_bits);
    for (std::size_t i = 0; i < kX; ++i) xs.push_back(static_cast<double>(i));
    std::vector<int> vs, ws;
    std::vector<float> masks;
    std::vector<char> names;
    for (std::size_t k = 0; k < nt; ++k)
      for (std::size_t j = 0; j < o.y; ++j)
        for (std::size_t i = 0; i < kX; ++i) vs.push_back(v_at(t0 + k, j, i));
    for (std::size_t j = 0; j < o.y; ++j)
      for (std::size_t k = 0; k < nt; ++k) ws.push_back(w_at(j, t0 + k));
    for (std::size_t j = 0; j < o.y; ++j)
      for (std::size_t i = 0; i < kX; ++i) masks.push_back(mask_at(index, j, i));
    for (std::size_t k = 0; k < nt; ++k) {
      std::string n = name_at(t0 + k);
      n.resize(4, '\0');
      names.insert(names.end(), n.begin(), n.end());
    }
    const std::size_t s3[3] = {0, 0, 0}, c3[3] = {nt, o.y, kX}, s2[2] = {0, 0}, cw[2] = {o.y, nt}, cn[2] = {nt, 4};
    const std::size_t s1[1] = {0}, ct[1] = {nt};
    EXPECT_EQ(nc_put_vara_double(ncid, tv, s1, ct, times.data()), NC_NOERR);
    EXPECT_EQ(nc_put_var_double(ncid, yv, ys.data()), NC_NOERR);
    EXPECT_EQ(nc_put_var_double(ncid, xv, xs.data()), NC_NOERR);
    if (o.v_type == NC_INT) {
      EXPECT_EQ(nc_put_vara_int(ncid, v, s3, c3, vs.data()), NC_NOERR);
    } else {
      std::vector<double> vd(vs.begin(), vs.end());
      EXPECT_EQ(nc_put_vara_double(ncid, v, s3, c3, vd.data()), NC_NOERR);
    }
    EXPECT_EQ(nc_put_vara_int(ncid, w, s2, cw, ws.data()), NC_NOERR);
    if (o.with_mask) {
      EXPECT_EQ(nc_put_var_float(ncid, mask, masks.data()), NC_NOERR);
    }
    EXPECT_EQ(nc_put_vara_text(ncid, nm, s2, cn, names.data()), NC_NOERR);
    EXPECT_EQ(nc_close(ncid), NC_NOERR);
    return p;
  }

  /// Files of the given lengths, consecutive along time: part0.nc, part1.nc, ...
  std::vector<std::string> write_parts(const std::vector<std::size_t>& lengths, const PartOptions& o = {}) {
    std::vector<std::string> files;
    std::size_t t0 = 0;
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      files.push_back(write_part("part" + std::to_string(i) + ".nc", i, t0, lengths[i], o));
      t0 += lengths[i];
    }
    return files;
  }

  static SourceSpec spec_of(const std::vector<std::string>& files) {
    SourceSpec spec;
    spec.uris = files;
    return spec;
  }
};

/// The error of resolving `files`; fails the test if they resolve.
inline Error resolve_error(const std::vector<std::string>& files) {
  SourceSpec spec;
  spec.uris = files;
  auto resolved = resolve_source(spec);
  EXPECT_FALSE(resolved.ok());
  return resolved.ok() ? Error{} : resolved.error();
}

/// Expects every one of `parts` in the error's message.
inline void expect_names(const Error& e, const std::vector<std::string>& parts) {
  for (const auto& p : parts) EXPECT_NE(e.message.find(p), std::string::npos) << "no '" << p << "' in: " << e.message;
}

}  // namespace zpmpi::source::testing
