// Open MPI's C interface (Debian libopenmpi-dev; pkg-config ompi-c gives the include path).
#include <mpi.h>
