# CMake toolchain file: cross-compile for 64-bit ARM Linux (Raspberry Pi 3/4/5
# with a 64-bit OS, aarch64 Android/Linux devices, ARM servers) with Debian's
# gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu and libc6-dev-arm64-cross, and
# run what it builds (tests, try_run) under qemu-user.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         [-DCROSSBYTE_AARCH64_SYSROOT=<tools/aarch64/sysroot.sh's output>] \
#         [-DCROSSBYTE_AARCH64_STATIC=ON] ...
#
# CROSSBYTE_AARCH64_SYSROOT: the arm64 .debs (Criterion, cJSON and their
#   dependencies) unpacked by tools/aarch64/sysroot.sh. pkg-config and find_*
#   look there, and qemu uses it as its library prefix (it links the cross C
#   library too). Without it only the cross toolchain's own files are visible,
#   which is all XNNPACK needs (tools/deps/xnnpack.sh aarch64).
# CROSSBYTE_AARCH64_STATIC: link executables with -static and take cJSON from
#   the sysroot's static/ (libcjson.a): one self-contained binary to copy to a
#   device. Criterion's test suites are not built this way (-DCROSSBYTE_TESTS=OFF).
# The CPU that qemu emulates: the QEMU_CPU environment variable (e.g.
# cortex-a72, cortex-a76; qemu's default is `max`).

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)

set(CROSSBYTE_AARCH64_SYSROOT "" CACHE PATH "arm64 sysroot made by tools/aarch64/sysroot.sh")
option(CROSSBYTE_AARCH64_STATIC "Link executables statically (cJSON from <sysroot>/static)" OFF)
# try_compile projects re-read this file: hand them the same settings.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CROSSBYTE_AARCH64_SYSROOT CROSSBYTE_AARCH64_STATIC)

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
if(CROSSBYTE_AARCH64_SYSROOT)
  list(APPEND CMAKE_FIND_ROOT_PATH "${CROSSBYTE_AARCH64_SYSROOT}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads only arm64 .pc files (never the host's).
set(ENV{PKG_CONFIG_PATH} "")
if(CROSSBYTE_AARCH64_SYSROOT AND CROSSBYTE_AARCH64_STATIC)
  set(ENV{PKG_CONFIG_LIBDIR} "${CROSSBYTE_AARCH64_SYSROOT}/static/lib/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
elseif(CROSSBYTE_AARCH64_SYSROOT)
  set(ENV{PKG_CONFIG_LIBDIR}
      "${CROSSBYTE_AARCH64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${CROSSBYTE_AARCH64_SYSROOT}/usr/share/pkgconfig")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CROSSBYTE_AARCH64_SYSROOT}")
else()
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/aarch64-linux-gnu/lib/pkgconfig")
endif()

if(CROSSBYTE_AARCH64_STATIC)
  set(CMAKE_EXE_LINKER_FLAGS_INIT -static)
elseif(CROSSBYTE_AARCH64_SYSROOT)
  # The linker follows the libraries' own dependencies (libcriterion.so needs
  # libnanomsg, libgit2, ...) only where told; nothing is written into the binaries.
  set(CMAKE_EXE_LINKER_FLAGS_INIT
      "-Wl,-rpath-link,${CROSSBYTE_AARCH64_SYSROOT}/lib/aarch64-linux-gnu:${CROSSBYTE_AARCH64_SYSROOT}/usr/lib/aarch64-linux-gnu")
endif()

if(CROSSBYTE_AARCH64_SYSROOT)
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L "${CROSSBYTE_AARCH64_SYSROOT}")
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
endif()
