// Runs Debian's /usr/bin/python3 on a script for the interop tests, without a shell: paths
// are passed as arguments (sys.argv[1:]) exactly as they are, so a checkout or build
// directory with spaces, quotes or other shell characters in its path changes nothing.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace zpmpi::testing {

/// `/usr/bin/python3 -c SCRIPT ARGS...`; its exit status, or -1 if it could not run or was
/// killed. Its output goes to the test's stdout/stderr.
inline int run_python(const std::string& script, const std::vector<std::string>& args = {}) {
  std::vector<std::string> words{"/usr/bin/python3", "-c", script};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) {
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace zpmpi::testing
