// Helpers for the source tests: small netCDF files written with the netCDF-C API in a
// per-test temporary directory, so the tests need no data files and no Python.
#pragma once

#include <gtest/gtest.h>
#include <netcdf.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "zpmpi/model/dataset.hpp"
#include "zpmpi/source/source.hpp"

/// Fails the current (void) test function when a netCDF call fails.
#define NC_OK(expr)                                                      \
  do {                                                                   \
    const int nc_rc_ = (expr);                                           \
    ASSERT_EQ(nc_rc_, NC_NOERR) << #expr << ": " << nc_strerror(nc_rc_); \
  } while (0)

namespace zpmpi::source::testing {

/// A fresh directory per test: <ZPMPI_TEST_TMP>/source/<suite>.<test>.
class NetcdfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(ZPMPI_TEST_TMP) / "source" /
           (std::string(info->test_suite_name()) + "." + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  /// Opens `p` (its `group`) as the test's source, kept until the next open; throws on error.
  const model::Dataset& open(const std::string& p, const std::string& group = "") {
    auto source = open_netcdf(p, group);
    if (!source.ok()) throw std::runtime_error(source.error().message);
    source_ = std::move(source).value();
    return source_->dataset();
  }

  std::filesystem::path dir_;
  std::unique_ptr<Source> source_;
};

inline const model::Variable& variable(const model::Dataset& ds, const std::string& name) {
  const model::Variable* v = ds.find_variable(name);
  if (!v) throw std::runtime_error("no variable " + name);
  return *v;
}

inline std::span<std::byte> bytes_of(auto& vec) { return std::as_writable_bytes(std::span(vec)); }

template <class T>
std::vector<T> iota_vector(std::size_t n, T first = T{0}) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(first + static_cast<T>(i));
  return v;
}

inline const model::Attribute& attribute(const model::Variable& v, const std::string& name) {
  const model::Attribute* a = v.find_attribute(name);
  if (!a) throw std::runtime_error("no attribute " + name);
  return *a;
}

}  // namespace zpmpi::source::testing
