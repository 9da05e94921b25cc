#!/usr/bin/env bash
# snapscope's one entry point for people and CI.
#   ./snapscope.sh run [ARGS...]   install what is missing, build (Release), open snapscope on the default preset
#   ./snapscope.sh test            install what is missing, build, run the whole test suite (ctest)
#   ./snapscope.sh build           install what is missing and build only
# Needs Debian 12 (bookworm); run as root or as a user with sudo (only apt-get uses it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build_dir="${SNAPSCOPE_BUILD_DIR:-$here/build}"
jobs="$(nproc 2>/dev/null || echo 2)"

# Debian packages the build and the tests need.
packages=(
  build-essential cmake pkg-config
  libeigen3-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libbenchmark-dev
  libglfw3-dev libimgui-dev libstb-dev python3-glad libgl-dev libgl1-mesa-dri fonts-dejavu-core
  xvfb xauth
  ffmpeg
)
# The test command also fuzzes (clang's libFuzzer) and runs sweeps on a single-node Slurm cluster and with GNU
# parallel (tests/cluster).
test_packages=(clang libclang-rt-14-dev slurm-wlm munge parallel)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_missing() {
  local missing=()
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      echo "snapscope.sh: these Debian packages are missing: ${missing[*]}" >&2
      echo "snapscope.sh: run this script as root, or install sudo, to install them" >&2
      exit 1
    fi
  fi
  say "Installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# build [TARGET...]: configure and build (everything when no target is named).
build() {
  install_missing "${packages[@]}"
  say "Building (Release) in $build_dir"
  cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  if [ $# -gt 0 ]; then
    cmake --build "$build_dir" -j"$jobs" --target "$@"
  else
    cmake --build "$build_dir" -j"$jobs"
  fi
}

cmd="${1:-run}"
shift || true
case "$cmd" in
  build)
    build
    ;;
  run)
    build snapscope snapscope-cli
    say "Starting snapscope on the default preset (fig4)"
    exec "$build_dir/app/snapscope" "$@"
    ;;
  test)
    install_missing "${packages[@]}" "${test_packages[@]}"
    build
    say "ThreadSanitizer build of the worker/UI handshake (build-tsan)"
    cmake -S "$here" -B "$here/build-tsan" -DCMAKE_BUILD_TYPE=Release -DSNAPSCOPE_SANITIZE=thread -DSNAPSCOPE_BUILD_BENCH=OFF >/dev/null
    cmake --build "$here/build-tsan" -j"$jobs" --target snapscope_worker_tests
    (cd "$here/build-tsan" && TSAN_OPTIONS=halt_on_error=1 ctest -R '^(Worker|TaskRunner)[.]' --output-on-failure)
    # (The learning test, four small trainings of the transformer lab, takes minutes under the sanitizers; the same
    # code is covered there by the gradient and run tests. The cluster tests check job scripts and schedulers, which
    # the sanitizers do not look at; the sweep and merge code they run is covered by the CLI tests.)
    say "AddressSanitizer + UndefinedBehaviorSanitizer build of the core, the CLI, the worker and the UI logic (build-asan)"
    cmake -S "$here" -B "$here/build-asan" -DCMAKE_BUILD_TYPE=Release -DSNAPSCOPE_SANITIZE=address -DSNAPSCOPE_BUILD_BENCH=OFF >/dev/null
    cmake --build "$here/build-asan" -j"$jobs" --target snapscope_tests snapscope_worker_tests snapscope_ui_tests snapscope-cli
    (cd "$here/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
       ctest -j"$jobs" -E '^(gui_rendering|SymmetryLearning[.].*|cluster_.*)$' --output-on-failure)
    say "Running the test suite"
    (cd "$build_dir" && ctest --output-on-failure -j"$jobs" --timeout 600)
    say "Fuzzing each input reader for ${SNAPSCOPE_FUZZ_SECONDS:-20} s (build-fuzz)"
    "$here/tests/fuzz/fuzz.sh" "${SNAPSCOPE_FUZZ_SECONDS:-20}"
    ;;
  *)
    echo "usage: $0 [run|test|build]" >&2
    exit 2
    ;;
esac
