# What the LibTorch in use offers beyond the CPU core, decided once at configure time and written
# to clipforge/torch_features.h (a generated header rather than -D flags, so the shared
# precompiled header stays valid):
#   CLIPFORGE_HAVE_CUDA  LibTorch was built with CUDA (libtorch_cuda is linked)
#   CLIPFORGE_HAVE_NCCL  ...and with c10d's NCCL process group compiled in
# A CUDA LibTorch without NCCL stops here: distributed GPU training would otherwise fail at run
# time on every rank. It also sets the link order the programs need with PyPI's LibTorch
# (libstdc++ first, and libtorch_cpu ahead of the system BLAS).

# How many of LIBRARY's defined dynamic symbols (demangled) match the grep PATTERN, into OUT:
# what a LibTorch build offers is read from what its libraries export.
function(clipforge_count_exports library pattern out)
  execute_process(COMMAND nm -DC --defined-only "${library}" COMMAND grep -c "${pattern}"
                  OUTPUT_VARIABLE count OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(${out} "${count}" PARENT_SCOPE)
endfunction()

set(CLIPFORGE_TORCH_VERSION ${Torch_VERSION})
message(STATUS "LibTorch ${CLIPFORGE_TORCH_VERSION} from ${TORCH_INSTALL_PREFIX}")

set(CLIPFORGE_HAVE_CUDA 0)
set(CLIPFORGE_HAVE_NCCL 0)
find_library(CLIPFORGE_TORCH_CUDA_LIBRARY torch_cuda PATHS "${TORCH_INSTALL_PREFIX}/lib" NO_DEFAULT_PATH)
if(CLIPFORGE_TORCH_CUDA_LIBRARY)
  set(CLIPFORGE_HAVE_CUDA 1)
  if(CLIPFORGE_TORCH_VERSION VERSION_LESS 2.0)
    message(FATAL_ERROR "LibTorch ${CLIPFORGE_TORCH_VERSION} has CUDA: clipforge's CUDA builds need LibTorch 2.x")
  endif()
  # The NCCL process group is compiled into libtorch_cuda or not at all; its exported symbols tell.
  clipforge_count_exports("${CLIPFORGE_TORCH_CUDA_LIBRARY}" "c10d::ProcessGroupNCCL::ProcessGroupNCCL" nccl_symbols)
  if(NOT nccl_symbols OR nccl_symbols EQUAL 0)
    message(FATAL_ERROR "${CLIPFORGE_TORCH_CUDA_LIBRARY} has CUDA but no NCCL process group "
                        "(USE_C10D_NCCL was off when LibTorch was built): distributed GPU training needs it. "
                        "Use a LibTorch built with NCCL, e.g. PyPI's torch wheel.")
  endif()
  set(CLIPFORGE_HAVE_NCCL 1)
endif()
message(STATUS "LibTorch CUDA: ${CLIPFORGE_HAVE_CUDA}, NCCL process group: ${CLIPFORGE_HAVE_NCCL}")

# Since 2.x, ProcessGroupGloo.hpp includes gloo's own headers, which PyPI's torch wheel does not
# ship (the code is inside libtorch_cpu): scripts/setup.sh --torch2 unpacks a gloo release whose
# rendezvous API matches. Debian's 1.13 finds libgloo-dev's headers on the system path.
set(CLIPFORGE_GLOO_INCLUDE_DIR "" CACHE PATH "gloo headers for LibTorch 2.x (scripts/setup.sh --torch2 provides them)")
if(CLIPFORGE_TORCH_VERSION VERSION_GREATER_EQUAL 2.0 AND NOT EXISTS "${TORCH_INSTALL_PREFIX}/include/gloo/rendezvous/store.h")
  if(NOT EXISTS "${CLIPFORGE_GLOO_INCLUDE_DIR}/gloo/rendezvous/store.h")
    message(FATAL_ERROR "LibTorch ${CLIPFORGE_TORCH_VERSION} ships no gloo headers: set CLIPFORGE_GLOO_INCLUDE_DIR "
                        "(scripts/setup.sh --torch2 unpacks them; scripts/build.sh with TORCH2=1 passes them)")
  endif()
endif()

# PyPI's libtorch.so exports the std::filesystem functions it was linked with statically (from
# its build toolchain's libstdc++), and a program that lists libtorch before libstdc++ binds its
# own std::filesystem calls to that copy, which crashes (remove_all calls through a null pointer).
# Python always has libstdc++ loaded first; clipforge's programs get the same order.
find_library(CLIPFORGE_TORCH_LIBRARY torch PATHS "${TORCH_INSTALL_PREFIX}/lib" NO_DEFAULT_PATH)
if(CLIPFORGE_TORCH_LIBRARY)
  clipforge_count_exports("${CLIPFORGE_TORCH_LIBRARY}" " T std::filesystem::" exported_filesystem)
  if(exported_filesystem GREATER 0)
    message(STATUS "${CLIPFORGE_TORCH_LIBRARY} exports std::filesystem: libstdc++ is linked first")
    add_link_options("LINKER:--push-state,--no-as-needed" "-lstdc++" "LINKER:--pop-state")
  endif()
endif()

# ATen calls sgemm_ through the dynamic linker, and the first loaded library that defines it
# answers. PyPI's libtorch_cpu carries MKL and exports its sgemm_, but FAISS links the system BLAS,
# which the programs would list ahead of LibTorch: ATen's matmuls then ran on OpenBLAS, whose idle
# threads spin against LibTorch's OpenMP ones (ViT-B-32 encode_image at batch 1, 2 threads: 3.9
# images/s, against 18.0 on MKL). Listing libtorch_cpu first keeps them on MKL, as in Python;
# `clipforge info` reports which one answers.
find_library(CLIPFORGE_TORCH_CPU_LIBRARY torch_cpu PATHS "${TORCH_INSTALL_PREFIX}/lib" NO_DEFAULT_PATH)
if(CLIPFORGE_TORCH_CPU_LIBRARY)
  clipforge_count_exports("${CLIPFORGE_TORCH_CPU_LIBRARY}" " T sgemm_$" exported_sgemm)
  if(exported_sgemm GREATER 0)
    message(STATUS "${CLIPFORGE_TORCH_CPU_LIBRARY} carries its own BLAS: it is linked ahead of the system's")
    # One SHELL: group: CMake would drop a second, identical LINKER:--push-state as a duplicate.
    add_link_options("SHELL:-Wl,--push-state,--no-as-needed ${CLIPFORGE_TORCH_CPU_LIBRARY} -Wl,--pop-state")
  endif()
endif()

# The Python whose torch matches this LibTorch, for tests that launch ranks with torchrun: Debian's
# python3-torch for Debian's 1.13; scripts/build.sh names the .venv's for the wheel.
set(CLIPFORGE_TORCH_PYTHON /usr/bin/python3 CACHE FILEPATH "python3 with the torch this LibTorch came from (torchrun)")

# LibTorch builds that bundle oneDNN carry its headers in their own include folder. A LibTorch
# installed under /usr (Debian's) shares the system's, where libdnnl-dev puts the headers of the
# oneDNN that LibTorch itself links: that one is clipforge's too.
if(EXISTS "${TORCH_INSTALL_PREFIX}/include/oneapi/dnnl/dnnl.h" AND NOT TORCH_INSTALL_PREFIX MATCHES "^/usr(/local)?/?$")
  set(CLIPFORGE_DNNL_DEFAULT OFF)
else()
  set(CLIPFORGE_DNNL_DEFAULT ON)
endif()

file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/generated/clipforge/torch_features.h
     CONTENT "#pragma once\n#define CLIPFORGE_HAVE_CUDA ${CLIPFORGE_HAVE_CUDA}\n#define CLIPFORGE_HAVE_NCCL ${CLIPFORGE_HAVE_NCCL}\n")
