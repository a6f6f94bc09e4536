# zpmpi's libraries, found the ways clusters provide them (Spack, environment modules,
# a distribution's packages). Each ends as one imported target:
#   zpmpi::netcdf  netCDF-C, the parallel (MPI) build preferred, the serial one accepted:
#                  1. NETCDF_ROOT (CMake or environment; also NETCDF_C_ROOT, NETCDF_DIR:
#                     what `module load netcdf-c` and Spack set): ROOT/include, ROOT/lib*;
#                  2. pkg-config: netcdf-mpi (Debian's MPI build), then netcdf;
#                  3. nc-config on PATH (--prefix);
#                  4. netCDFConfig.cmake (find_package(netCDF CONFIG), netCDF_DIR).
#                  Each candidate must have netcdf.h (some packages' files point elsewhere).
#   zpmpi::zstd, zpmpi::lz4, zpmpi::deflate, zpmpi::blosc:
#                  the library's CMake config if it has one, else pkg-config, else
#                  <NAME>_ROOT / the default paths (find_library + find_path).
#   zpmpi::hdf5    HDF5, the library netCDF-C is built on (zpmpi reads the chunks of
#                  netCDF-4 variables through it and decodes them itself): CMake's FindHDF5
#                  (HDF5_ROOT; the parallel build preferred), else pkg-config (hdf5-openmpi,
#                  hdf5-mpi, hdf5). FindHDF5 compiles a test program with the h5pcc wrapper,
#                  which fails in a build directory whose path holds a space.
# Boost (>= 1.81: json, program_options), MPI and libcurl come from CMake's own modules.
include_guard(GLOBAL)
find_package(PkgConfig QUIET)

# Hints from the environment count like the CMake variable.
foreach(var NETCDF_ROOT NETCDF_C_ROOT NETCDF_DIR)
  if(NOT NETCDF_ROOT AND DEFINED ENV{${var}})
    set(NETCDF_ROOT "$ENV{${var}}")
  endif()
endforeach()
set(NETCDF_ROOT "${NETCDF_ROOT}" CACHE PATH "netCDF-C installation prefix (include/netcdf.h, lib/libnetcdf)")

# Makes zpmpi::<name> from a header directory and a library file.
function(_zpmpi_target name include library)
  add_library(zpmpi::${name} UNKNOWN IMPORTED GLOBAL)
  set_target_properties(zpmpi::${name} PROPERTIES IMPORTED_LOCATION "${library}"
                        INTERFACE_INCLUDE_DIRECTORIES "${include}")
endfunction()

# netCDF-C -------------------------------------------------------------------------------
function(_zpmpi_netcdf_from_prefix prefix how)
  find_path(_nc_inc netcdf.h PATHS ${prefix}/include NO_DEFAULT_PATH)
  find_library(_nc_lib NAMES netcdf netcdf_mpi PATHS ${prefix}/lib ${prefix}/lib64 ${prefix} NO_DEFAULT_PATH)
  if(_nc_inc AND _nc_lib)
    _zpmpi_target(netcdf "${_nc_inc}" "${_nc_lib}")
    set(ZPMPI_NETCDF_FOUND_BY "${how} (${prefix})" PARENT_SCOPE)
    set(ZPMPI_NETCDF_INCLUDE "${_nc_inc}" PARENT_SCOPE)
  endif()
  unset(_nc_inc CACHE)
  unset(_nc_lib CACHE)
endfunction()

if(NETCDF_ROOT)
  _zpmpi_netcdf_from_prefix("${NETCDF_ROOT}" "NETCDF_ROOT")
  if(NOT TARGET zpmpi::netcdf)
    message(FATAL_ERROR "NETCDF_ROOT=${NETCDF_ROOT} has no include/netcdf.h and lib/libnetcdf")
  endif()
endif()
if(NOT TARGET zpmpi::netcdf AND PKG_CONFIG_FOUND)
  foreach(module netcdf-mpi netcdf)
    pkg_check_modules(_PC_NC QUIET IMPORTED_TARGET GLOBAL ${module})
    if(_PC_NC_FOUND)
      # Debian's netcdf-mpi.pc names /usr/include, but the header is under its prefix.
      pkg_get_variable(_pc_prefix ${module} prefix)
      find_path(_nc_inc netcdf.h HINTS ${_PC_NC_INCLUDE_DIRS} ${_pc_prefix}/include NO_DEFAULT_PATH)
      if(_nc_inc)
        add_library(zpmpi::netcdf INTERFACE IMPORTED GLOBAL)
        target_link_libraries(zpmpi::netcdf INTERFACE PkgConfig::_PC_NC)
        target_include_directories(zpmpi::netcdf INTERFACE ${_nc_inc})
        set(ZPMPI_NETCDF_FOUND_BY "pkg-config ${module}")
        set(ZPMPI_NETCDF_INCLUDE "${_nc_inc}")
        unset(_nc_inc CACHE)
        break()
      endif()
      unset(_nc_inc CACHE)
    endif()
    unset(_PC_NC_FOUND CACHE)
  endforeach()
endif()
if(NOT TARGET zpmpi::netcdf)
  find_program(ZPMPI_NC_CONFIG nc-config)
  if(ZPMPI_NC_CONFIG)
    execute_process(COMMAND ${ZPMPI_NC_CONFIG} --prefix OUTPUT_VARIABLE _nc_prefix OUTPUT_STRIP_TRAILING_WHITESPACE)
    _zpmpi_netcdf_from_prefix("${_nc_prefix}" "nc-config")
  endif()
endif()
if(NOT TARGET zpmpi::netcdf)
  find_package(netCDF CONFIG QUIET)
  if(TARGET netCDF::netcdf)
    get_target_property(_nc_dirs netCDF::netcdf INTERFACE_INCLUDE_DIRECTORIES)
    find_path(_nc_inc netcdf.h HINTS ${_nc_dirs} NO_DEFAULT_PATH)
    if(_nc_inc)
      add_library(zpmpi::netcdf INTERFACE IMPORTED GLOBAL)
      target_link_libraries(zpmpi::netcdf INTERFACE netCDF::netcdf)
      set(ZPMPI_NETCDF_FOUND_BY "netCDFConfig.cmake (${netCDF_DIR})")
      set(ZPMPI_NETCDF_INCLUDE "${_nc_inc}")
    endif()
    unset(_nc_inc CACHE)
  endif()
endif()
if(NOT TARGET zpmpi::netcdf)
  message(FATAL_ERROR "netCDF-C not found: set NETCDF_ROOT to its prefix (with include/netcdf.h), "
                      "or put nc-config or netcdf.pc (PKG_CONFIG_PATH) or netCDFConfig.cmake (netCDF_DIR) in reach")
endif()
set(ZPMPI_NETCDF_PARALLEL "serial")
if(EXISTS "${ZPMPI_NETCDF_INCLUDE}/netcdf_meta.h")
  file(STRINGS "${ZPMPI_NETCDF_INCLUDE}/netcdf_meta.h" _nc_par REGEX "#define NC_HAS_PARALLEL +1")
  if(_nc_par)
    set(ZPMPI_NETCDF_PARALLEL "parallel")
  endif()
endif()
message(STATUS "netCDF-C: ${ZPMPI_NETCDF_PARALLEL} build, from ${ZPMPI_NETCDF_FOUND_BY}, header in ${ZPMPI_NETCDF_INCLUDE}")

# zstd, lz4, libdeflate, blosc -------------------------------------------------------------
# zpmpi_find_library(<name> PACKAGE <cmake package> TARGETS <its targets, preferred first>
#                    PKGCONFIG <module> HEADER <file> LIBRARIES <names>)
function(zpmpi_find_library name)
  cmake_parse_arguments(A "" "PACKAGE;PKGCONFIG;HEADER" "TARGETS;LIBRARIES" ${ARGN})
  find_package(${A_PACKAGE} CONFIG QUIET)
  foreach(t ${A_TARGETS})
    if(TARGET ${t})
      add_library(zpmpi::${name} INTERFACE IMPORTED GLOBAL)
      target_link_libraries(zpmpi::${name} INTERFACE ${t})
      message(STATUS "${name}: ${t} from ${${A_PACKAGE}_DIR}")
      return()
    endif()
  endforeach()
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(_PC_${name} QUIET IMPORTED_TARGET GLOBAL ${A_PKGCONFIG})
    if(_PC_${name}_FOUND)
      add_library(zpmpi::${name} INTERFACE IMPORTED GLOBAL)
      target_link_libraries(zpmpi::${name} INTERFACE PkgConfig::_PC_${name})
      message(STATUS "${name}: pkg-config ${A_PKGCONFIG} ${_PC_${name}_VERSION}")
      return()
    endif()
  endif()
  # <name>_ROOT (e.g. -Dzstd_ROOT=...) or the default paths.
  find_path(ZPMPI_${name}_INCLUDE ${A_HEADER} HINTS ${${A_PACKAGE}_ROOT} ENV ${A_PACKAGE}_ROOT PATH_SUFFIXES include)
  find_library(ZPMPI_${name}_LIBRARY NAMES ${A_LIBRARIES} HINTS ${${A_PACKAGE}_ROOT} ENV ${A_PACKAGE}_ROOT
               PATH_SUFFIXES lib lib64)
  if(NOT ZPMPI_${name}_INCLUDE OR NOT ZPMPI_${name}_LIBRARY)
    message(FATAL_ERROR "${name} not found (${A_HEADER}, lib${A_LIBRARIES}): set ${A_PACKAGE}_ROOT or PKG_CONFIG_PATH")
  endif()
  _zpmpi_target(${name} "${ZPMPI_${name}_INCLUDE}" "${ZPMPI_${name}_LIBRARY}")
  message(STATUS "${name}: ${ZPMPI_${name}_LIBRARY}")
endfunction()

zpmpi_find_library(zstd PACKAGE zstd TARGETS zstd::libzstd_shared zstd::libzstd_static PKGCONFIG libzstd
                   HEADER zstd.h LIBRARIES zstd)
zpmpi_find_library(lz4 PACKAGE lz4 TARGETS LZ4::lz4_shared LZ4::lz4 lz4::lz4 LZ4::lz4_static PKGCONFIG liblz4
                   HEADER lz4.h LIBRARIES lz4)
zpmpi_find_library(deflate PACKAGE libdeflate TARGETS libdeflate::libdeflate_shared libdeflate::libdeflate_static
                   PKGCONFIG libdeflate HEADER libdeflate.h LIBRARIES deflate)
zpmpi_find_library(blosc PACKAGE Blosc TARGETS Blosc::blosc_shared Blosc::blosc_static PKGCONFIG blosc
                   HEADER blosc.h LIBRARIES blosc)

set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 QUIET COMPONENTS C)
if(HDF5_FOUND AND TARGET HDF5::HDF5)
  add_library(zpmpi::hdf5 INTERFACE IMPORTED GLOBAL)
  target_link_libraries(zpmpi::hdf5 INTERFACE HDF5::HDF5)
  message(STATUS "HDF5: ${HDF5_VERSION} from FindHDF5 (parallel: ${HDF5_IS_PARALLEL})")
elseif(PKG_CONFIG_FOUND)
  pkg_search_module(_PC_HDF5 QUIET IMPORTED_TARGET GLOBAL hdf5-openmpi hdf5-mpi hdf5)
  if(_PC_HDF5_FOUND)
    add_library(zpmpi::hdf5 INTERFACE IMPORTED GLOBAL)
    target_link_libraries(zpmpi::hdf5 INTERFACE PkgConfig::_PC_HDF5)
    message(STATUS "HDF5: ${_PC_HDF5_VERSION} from pkg-config ${_PC_HDF5_MODULE_NAME}")
  endif()
endif()
if(NOT TARGET zpmpi::hdf5)
  message(FATAL_ERROR "HDF5 (the library netCDF-C is built on) not found: set HDF5_ROOT to its prefix")
endif()
