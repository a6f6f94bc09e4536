// zpmpi: cache netCDF/HDF5 data into Zarr v2 or v3 stores, in parallel under MPI.
#include "zpmpi/app/run.hpp"

int main(int argc, char** argv) { return zpmpi::app::main(argc, argv); }
