#include "zpmpi/app/environment.hpp"

#include <cstdlib>

namespace zpmpi::app {
namespace {

/// "CALL@RANK" (ZPMPI_TEST_MPI_FAIL); none unless RANK is a number.
mpi::InjectedFailure parse_mpi_fail(const std::string& spec) {
  const auto at = spec.find('@');
  if (at == std::string::npos || at + 1 == spec.size()) return {};
  char* end = nullptr;
  const long rank = std::strtol(spec.c_str() + at + 1, &end, 10);
  if (*end != '\0' || rank < 0) return {};
  return {spec.substr(0, at), static_cast<int>(rank)};
}

}  // namespace

std::optional<std::string> TestHooks::rank_failure(int rank) const {
  if (!fail_rank || *fail_rank != rank) return std::nullopt;
  return "injected failure (ZPMPI_TEST_FAIL_RANK=" + fail_rank_text + ")";
}

Environment Environment::parse(const std::function<const char*(const char*)>& lookup) {
  Environment env;
  TestHooks& h = env.hooks;
  if (const char* fail = lookup("ZPMPI_TEST_FAIL_RANK")) {
    h.fail_rank = std::atoi(fail);
    h.fail_rank_text = fail;
  }
  if (const char* spec = lookup("ZPMPI_TEST_MPI_FAIL")) h.mpi_fail = parse_mpi_fail(spec);
  if (const char* spec = lookup("ZPMPI_TEST_FAIL_WRITE")) {
    const std::string s = spec;
    const auto colon = s.find(':');
    char* end = nullptr;
    const long rank = colon == std::string::npos ? -1 : std::strtol(s.c_str(), &end, 10);
    if (colon != std::string::npos && end == s.c_str() + colon && rank >= 0) {
      h.fail_write_rank = static_cast<int>(rank);
      h.fail_write_nth = std::strtoull(s.c_str() + colon + 1, nullptr, 10);
    }
  }
  if (const char* delay = lookup("ZPMPI_TEST_WRITE_DELAY_MS")) h.write_delay_ms = std::atoi(delay);
  if (const char* hold = lookup("ZPMPI_TEST_HOLD_STORE_LOCK")) h.hold_store_lock = hold;
  if (const char* job = lookup("SLURM_JOB_ID")) env.slurm_job_id = job;
  for (const std::string& name : s3_variables())
    if (const char* value = lookup(name.c_str())) env.s3[name] = value;
  return env;
}

const std::vector<std::string>& Environment::s3_variables() {
  static const std::vector<std::string> names{
      "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
      "AWS_REGION",        "AWS_DEFAULT_REGION",    "AWS_PROFILE",       "AWS_CONFIG_FILE",  "AWS_SHARED_CREDENTIALS_FILE",
      "HOME"};
  return names;
}

Environment Environment::of_process() {
  return parse([](const char* name) -> const char* { return std::getenv(name); });
}

}  // namespace zpmpi::app
