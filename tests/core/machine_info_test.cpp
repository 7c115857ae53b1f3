#include "core/machine_info.h"

#include <catch2/catch.hpp>

using namespace clipforge;

// scripts/setup.sh installs libopenblas0-pthread; without it every matmul runs ~47x slower on
// the reference BLAS, so the test suite insists on it.
TEST_CASE("the BLAS serving sgemm is OpenBLAS, found from the loaded libraries", "[core][machine]") {
  BlasInfo blas = detect_blas();
  INFO("library: " << blas.library << " config: " << blas.config);
  CHECK(blas.name == "OpenBLAS");
  CHECK(blas.library.find("openblas") != std::string::npos);
  CHECK(blas.config.find("OpenBLAS") != std::string::npos);
  CHECK(blas.threads >= 1);
}

TEST_CASE("cpu model and core count are read from the machine", "[core][machine]") {
  CHECK(hardware_cores() >= 1);
  CHECK_FALSE(cpu_model().empty());
}
