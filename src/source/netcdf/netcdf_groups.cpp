// Group selection of a NetcdfSource: the dataset is one group of the file (the root by
// default), as xarray.open_dataset(group=...) reads it. Every other group is named (an
// ancestor of the chosen group only if it holds variables): nothing is left out silently.
#include <netcdf.h>

#include <algorithm>

#include "netcdf/netcdf_source.hpp"

namespace zpmpi::source {
namespace {

struct GroupInfo {
  std::string path;  ///< "/", "/g1", "/g1/g2"
  int nvars = 0;
  int ngroups = 0;
};

/// `grpid` and all its descendants, depth first.
Status list_groups(int grpid, std::vector<GroupInfo>& out) {
  GroupInfo info;
  std::size_t len = 0;
  if (int rc = nc_inq_grpname_full(grpid, &len, nullptr); rc != NC_NOERR) return runtime_error(nc_strerror(rc));
  info.path.assign(len + 1, '\0');  // with its terminating NUL
  if (int rc = nc_inq_grpname_full(grpid, &len, info.path.data()); rc != NC_NOERR)
    return runtime_error(nc_strerror(rc));
  info.path.resize(len);
  if (int rc = nc_inq_nvars(grpid, &info.nvars); rc != NC_NOERR) return runtime_error(nc_strerror(rc));
  if (int rc = nc_inq_grps(grpid, &info.ngroups, nullptr); rc != NC_NOERR) return runtime_error(nc_strerror(rc));
  std::vector<int> children(static_cast<std::size_t>(info.ngroups));
  if (info.ngroups > 0) nc_inq_grps(grpid, nullptr, children.data());
  out.push_back(std::move(info));
  for (int child : children) ZPMPI_RETURN_IF_ERROR(list_groups(child, out));
  return {};
}

/// "g1/g2/" -> "/g1/g2"; "" and "/" -> "/".
std::string normalize(const std::string& group) {
  std::string path = "/";
  for (char c : group) {
    if (c == '/' && path.back() == '/') continue;
    path += c;
  }
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

Status NetcdfSource::select_group(const std::string& group) {
  std::vector<GroupInfo> groups;
  if (auto st = list_groups(ncid_, groups); !st.ok()) return file_error("groups: " + st.error().message);
  const std::string path = normalize(group);
  const auto chosen = std::find_if(groups.begin(), groups.end(), [&](const GroupInfo& g) { return g.path == path; });
  if (chosen == groups.end()) {
    std::string names;
    for (const auto& g : groups) names += (names.empty() ? "" : ", ") + g.path;
    return usage_error("source.group: " + path_ + " has no group '" + path + "' (groups: " + names + ")");
  }
  if (path != "/") {
    if (int rc = nc_inq_grp_full_ncid(ncid_, path.c_str(), &grpid_); rc != NC_NOERR)
      return file_error("group " + path + ": " + nc_strerror(rc));
  }
  dataset_.group = path;
  for (const auto& g : groups) {
    if (g.path == path) continue;
    // An ancestor of the chosen group is only the way to it unless it holds variables.
    const bool ancestor = g.path == "/" || path.rfind(g.path + "/", 0) == 0;
    if (ancestor && g.nvars == 0) continue;
    dataset_.other_groups.push_back(g.path);
    dataset_.skipped.push_back("group " + g.path + " (" + std::to_string(g.nvars) + " variables, " +
                               std::to_string(g.ngroups) + " sub-groups; a job converts one group: \"source\": {\"uri\": ..., \"group\": \"" +
                               g.path + "\"})");
  }
  return {};
}

}  // namespace zpmpi::source
